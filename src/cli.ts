// The entry point bin/run.js loads: oclif's runner, bundled with the commands (see scripts/bundle.js).
export {execute} from '@oclif/core'
