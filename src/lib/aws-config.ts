import {timeouts} from './timeouts.js'

/** Local engines ignore credentials, but the SDK still signs requests: give it dummy ones. */
export const LOCAL_CREDENTIALS = {accessKeyId: 'local', secretAccessKey: 'local'}

/** AWS client settings for a target: local endpoints get dummy credentials; prod gets the normal chain. */
export function awsClientConfig(target: {kind: 'local' | 'prod'; endpoint?: string; region: string; profile?: string}) {
  // The SDK's Node 20 deprecation notice is not the user's business on every command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  // Without them a frozen endpoint (a stopped process, a server that accepts and never answers) hangs forever.
  const {connectMs, requestMs} = timeouts()
  // throwOnRequestTimeout: without it the SDK only logs a warning when a request outlives requestTimeout.
  const requestHandler = {connectionTimeout: connectMs, requestTimeout: requestMs, throwOnRequestTimeout: true}
  if (target.kind === 'prod') {
    // The SDK reads AWS_ENDPOINT_URL* by itself; --prod must reach AWS, so tell it to ignore them.
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = 'true'
    // Adaptive: throttling also slows this client's own request rate, not just its retries.
    return {
      region: target.region,
      ...(target.profile ? {profile: target.profile} : {}),
      maxAttempts: 8,
      requestHandler,
      retryMode: 'adaptive' as const,
    }
  }

  // Locally nothing throttles, so retries only slow down the "nothing is listening" error. Batch writers
  // add their own retries, bounded by time (see batch-write.ts).
  return {
    region: target.region,
    endpoint: target.endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 2,
    requestHandler,
  }
}
