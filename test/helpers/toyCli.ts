// The CLI (src/cli.ts, unchanged) with the toy architecture registered: `node out/test/helpers/toyCli.js …`.
// Imports run in order: the registration before the CLI's main.
import './registerToy';
import '../../src/cli';
