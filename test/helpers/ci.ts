// Tests skip only for what a machine cannot have, never for a committed file that is missing (those
// fail). A tool or build the test needs may be absent on a developer's machine (gcc's libasan, the
// native module); there the test skips with the reason, but in CI (CI=true), where .ci/run installs
// them, it runs and its own check fails with that reason.
import { nativeModule } from '../../src/engine/kernels/native';

export const inCi = process.env.CI === 'true';

/** The `skip` option for "needs X": the reason outside CI, false (run, and fail) in CI. */
export function skipOutsideCi(reason: string | false): string | false {
  return reason && !inCi ? reason : false;
}

/** The `skip` option for tests of the native kernels: skipped where this machine cannot run them at
 * all (another CPU architecture, no AVX-512/AVX2, or ATTENTION_KERNELS=wasm asks not to); a module
 * that should be there but is not skips outside CI and fails in CI. */
export function nativeSkip(): string | false {
  const { module, why } = nativeModule();
  if (module) return false;
  const cannot =
    process.arch !== 'x64' ||
    process.env.ATTENTION_KERNELS === 'wasm' ||
    /neither AVX-512 nor AVX2|cannot run ATTENTION_NATIVE_ISA/.test(why ?? '');
  return cannot ? `no native kernels: ${why}` : skipOutsideCi(`no native kernels: ${why}`);
}
