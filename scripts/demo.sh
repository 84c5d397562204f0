#!/usr/bin/env bash
# The main job on a laptop: start the local stack, set up both databases, link Cognito, then walk through
# the access patterns with the stream keeping conversation rows fresh. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
cruddur() { node bin/run.js "$@"; }
# Bold headings on a terminal only, and never with NO_COLOR (as the CLI itself).
if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain" >&2; }

step 'Start the local stack (DynamoDB Local, PostgreSQL, Cognito, Momento stand-in)'
cruddur local start
step 'PostgreSQL: create, schema, seed users'
cruddur db setup
step 'Copy the Cognito users'"'"' sub into users.cognito_user_id'
cruddur db update-cognito-user-ids
step 'DynamoDB: create the table and seed conversations'
cruddur ddb setup
step 'Pattern B: the conversations of @andrewbrown, newest first'
cruddur ddb patterns list-conversations andrewbrown
step 'Pattern C: @londo writes to @andrewbrown'
cruddur ddb patterns create-message --from londo --to andrewbrown "Hello from the demo, $(date -u +%H:%M:%S)"
step 'Pattern D from the stream: process what the stream holds'
cruddur ddb stream process --once
step 'Pattern B again: the conversation with @londo is on top, with the new last message'
cruddur ddb patterns list-conversations andrewbrown --limit 3
printf '\nThe stack keeps running; stop it with: node bin/run.js local stop\n' >&2
