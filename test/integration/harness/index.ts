// The test drivers' toolkit, one import: `import { startServer, step, ... } from './harness'`.
export * from './cleanup';
export * from './server';
export * from './browser';
export * from './steps';
export * from './checks';
