import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {CruddurError} from '../../src/lib/errors.js'
import {maskUrl} from '../../src/lib/mask.js'
import {resolveCognitoTarget} from '../../src/lib/targets/cognito.js'
import {
  DEFAULT_DYNAMODB_ENDPOINT,
  describeDynamoDbTarget,
  resolveDynamoDbTarget,
} from '../../src/lib/targets/dynamodb.js'
import {describeMomentoTarget, resolveMomentoTarget} from '../../src/lib/targets/momento.js'
import {DEFAULT_DATABASE_URL, describePostgresTarget, resolvePostgresTarget} from '../../src/lib/targets/postgres.js'
import {describeEndpoint, type TargetFlags} from '../../src/lib/targets/shared.js'
import type {LocalStackState} from '../../src/lib/stack-state.js'

const stack: LocalStackState = {
  dynamodb: {endpoint: 'http://localhost:8100', inMemory: true, log: '', pid: 1, port: 8100, version: '3'},
  postgres: {dataDir: '', log: '', pid: 2, port: 5433, url: 'postgresql://postgres:password@localhost:5433/cruddur'},
}

describe('target resolution', () => {
  describe('DynamoDB', () => {
    it('prefers --endpoint over the environment and the local stack', () => {
      const target = resolveDynamoDbTarget(
        {endpoint: 'http://localhost:9000'},
        {AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:7000'},
        stack,
      )
      expect(target).to.include({endpoint: 'http://localhost:9000', kind: 'local', source: 'flag'})
    })

    it('uses AWS_ENDPOINT_URL_DYNAMODB over the local stack', () => {
      const target = resolveDynamoDbTarget({}, {AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:7000'}, stack)
      expect(target).to.include({endpoint: 'http://localhost:7000', source: 'env'})
    })

    it('finds the running local stack', () => {
      expect(resolveDynamoDbTarget({}, {}, stack)).to.include({
        endpoint: 'http://localhost:8100',
        source: 'local-stack',
      })
    })

    it('falls back to localhost:8000', () => {
      expect(resolveDynamoDbTarget({}, {}, {})).to.include({endpoint: DEFAULT_DYNAMODB_ENDPOINT, source: 'default'})
    })

    it('--prod reaches AWS: no endpoint, and endpoint variables are reported as ignored', () => {
      const target = resolveDynamoDbTarget(
        {prod: true, region: 'eu-west-1'},
        {AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:7000'},
        stack,
      )
      expect(target.endpoint).to.equal(undefined)
      expect(target).to.include({kind: 'prod', region: 'eu-west-1'})
      expect(target.ignoredEnv).to.deep.equal(['AWS_ENDPOINT_URL_DYNAMODB'])
    })

    describe('the --prod region', () => {
      let configFile: string
      before(() => {
        configFile = join(mkdtempSync(join(tmpdir(), 'cruddur-aws-')), 'config')
        writeFileSync(
          configFile,
          '[default]\nregion = us-west-2\n\n' +
            '[profile europe]\noutput = json\nregion = eu-central-1\n\n' +
            '[profile bare]\noutput = json\n',
        )
      })

      const regionOf = (flags: TargetFlags, env: NodeJS.ProcessEnv = {}) =>
        resolveDynamoDbTarget({prod: true, ...flags}, {AWS_CONFIG_FILE: configFile, ...env}, {}).region

      it('comes from --region, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
        expect(regionOf({region: 'ap-south-1'}, {AWS_DEFAULT_REGION: 'x', AWS_REGION: 'y'})).to.equal('ap-south-1')
        expect(regionOf({}, {AWS_DEFAULT_REGION: 'x', AWS_REGION: 'eu-west-3'})).to.equal('eu-west-3')
        expect(regionOf({}, {AWS_DEFAULT_REGION: 'sa-east-1'})).to.equal('sa-east-1')
      })

      it("then from the profile's own region (--profile, then AWS_PROFILE, then default)", () => {
        expect(regionOf({profile: 'europe'})).to.equal('eu-central-1')
        expect(regionOf({}, {AWS_PROFILE: 'europe'})).to.equal('eu-central-1')
        expect(regionOf({})).to.equal('us-west-2')
      })

      it('is never guessed: no region anywhere is an error naming the fixes', () => {
        expect(() => regionOf({profile: 'bare'})).to.throw(
          CruddurError,
          /No AWS region.*--region.*AWS_REGION.*profile bare/,
        )
        expect(() =>
          resolveDynamoDbTarget({prod: true}, {AWS_CONFIG_FILE: join(tmpdir(), 'no-such-aws-config')}, {}),
        ).to.throw(CruddurError, /No AWS region/)
      })
    })

    it('--prod with --endpoint is an error', () => {
      expect(() => resolveDynamoDbTarget({endpoint: 'http://x:1', prod: true}, {}, {})).to.throw(
        CruddurError,
        /--prod and --endpoint/,
      )
    })

    it('rejects an endpoint that is not an http URL', () => {
      expect(() => resolveDynamoDbTarget({endpoint: 'localhost:8000'}, {}, {})).to.throw(CruddurError, /not an http/)
    })

    it('takes the table from --table, then DDB_MESSAGE_TABLE, then cruddur-messages', () => {
      expect(resolveDynamoDbTarget({table: 'a'}, {DDB_MESSAGE_TABLE: 'b'}, {}).table).to.equal('a')
      expect(resolveDynamoDbTarget({}, {DDB_MESSAGE_TABLE: 'b'}, {}).table).to.equal('b')
      expect(resolveDynamoDbTarget({}, {}, {}).table).to.equal('cruddur-messages')
    })
  })

  describe('PostgreSQL', () => {
    it('prefers --database-url, then CONNECTION_URL, then the local stack, then the default', () => {
      expect(
        resolvePostgresTarget({'database-url': 'postgresql://a/b'}, {CONNECTION_URL: 'postgresql://c/d'}, stack).url,
      ).to.equal('postgresql://a/b')
      expect(resolvePostgresTarget({}, {CONNECTION_URL: 'postgresql://c/d'}, stack).url).to.equal('postgresql://c/d')
      expect(resolvePostgresTarget({}, {}, stack).url).to.equal(stack.postgres!.url)
      expect(resolvePostgresTarget({}, {}, {}).url).to.equal(DEFAULT_DATABASE_URL)
    })

    it('--prod uses PROD_CONNECTION_URL and never the local one', () => {
      const target = resolvePostgresTarget(
        {prod: true},
        {CONNECTION_URL: 'postgresql://local/x', PROD_CONNECTION_URL: 'postgresql://prod/x'},
        stack,
      )
      expect(target).to.include({kind: 'prod', url: 'postgresql://prod/x'})
      expect(() => resolvePostgresTarget({prod: true}, {CONNECTION_URL: 'postgresql://local/x'}, stack)).to.throw(
        /PROD_CONNECTION_URL/,
      )
    })
  })

  describe('masking', () => {
    it('hides the password of a URL wherever it is shown', () => {
      expect(maskUrl('postgresql://user:s3cret@db.example.com:5432/cruddur')).to.equal(
        'postgresql://user:****@db.example.com:5432/cruddur',
      )
      expect(describePostgresTarget({kind: 'prod', source: 'env', url: 'postgresql://u:hunter2@h/db'})).to.not.include(
        'hunter2',
      )
      expect(maskUrl('postgresql://localhost/cruddur')).to.equal('postgresql://localhost/cruddur')
    })
  })

  describe('every target, one rule', () => {
    /** A local stack whose state file cannot be read: touching any service throws, as localStackView does. */
    const unreadable = new Proxy({} as LocalStackState, {
      get() {
        throw new CruddurError('FAILED', 'state file read')
      },
    })

    it('a flag or variable is used without reading the local stack, for each of the four targets', () => {
      expect(resolveDynamoDbTarget({endpoint: 'http://localhost:9000'}, {}, unreadable).source).to.equal('flag')
      expect(
        resolveDynamoDbTarget({}, {AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:7000'}, unreadable).source,
      ).to.equal('env')
      expect(resolveCognitoTarget({'cognito-endpoint': 'http://localhost:9300'}, {}, unreadable).source).to.equal(
        'flag',
      )
      expect(resolvePostgresTarget({}, {CONNECTION_URL: 'postgresql://local/x'}, unreadable).source).to.equal('env')
      expect(resolveMomentoTarget({'momento-endpoint': 'localhost:9400'}, {}, unreadable).source).to.equal('flag')
      expect(() => resolveDynamoDbTarget({}, {}, unreadable)).to.throw(CruddurError, /state file read/)
    })

    it('describeEndpoint names where a target is, without what it holds', () => {
      const dynamodb = resolveDynamoDbTarget({}, {}, stack)
      expect(describeEndpoint(dynamodb)).to.equal('local http://localhost:8100')
      expect(describeDynamoDbTarget(dynamodb)).to.equal(
        'local http://localhost:8100 · table cruddur-messages (from local stack)',
      )
      expect(
        describeEndpoint(resolveDynamoDbTarget({prod: true, profile: 'p', region: 'eu-west-1'}, {}, stack)),
      ).to.equal('prod AWS eu-west-1 (profile p)')
      expect(describeEndpoint(resolvePostgresTarget({}, {}, stack))).to.equal(
        'local postgresql://postgres:****@localhost:5433/cruddur',
      )
      const momento = resolveMomentoTarget({}, {}, {})
      expect(describeEndpoint(momento)).to.equal('local momento localhost:9230')
      expect(describeMomentoTarget(momento)).to.equal('local momento localhost:9230 · cache cruddur (from default)')
      expect(describeEndpoint(resolveMomentoTarget({prod: true}, {}, {}))).to.equal('prod Momento')
    })

    it('the Momento target line says where the cache came from, as the other targets do', () => {
      const line = (flags: Parameters<typeof resolveMomentoTarget>[0], env = {}, local: LocalStackState = {}) =>
        describeMomentoTarget(resolveMomentoTarget(flags, env, local))
      expect(line({'momento-endpoint': 'localhost:9400', cache: 'c'})).to.equal(
        'local momento localhost:9400 · cache c (from --momento-endpoint)',
      )
      expect(line({}, {MOMENTO_LOCAL_ENDPOINT: 'localhost:9500'})).to.equal(
        'local momento localhost:9500 · cache cruddur (from MOMENTO_LOCAL_ENDPOINT)',
      )
      const running = {momento: {endpoint: '127.0.0.1:9231', log: '', pid: 3, port: 9231}} as LocalStackState
      expect(line({}, {}, running)).to.equal('local momento 127.0.0.1:9231 · cache cruddur (from local stack)')
      expect(line({prod: true}, {MOMENTO_CACHE_NAME: 'cruddur'})).to.equal('prod Momento · cache cruddur (from --prod)')
    })
  })
})
