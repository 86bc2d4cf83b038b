// The one registry line, at run time: a built-in architecture is this line in BUILT_IN instead.
import { registerArchitecture } from '../../src/engine/models/registry';
import { toyAttention } from './toyArchitecture';

registerArchitecture(toyAttention);
