/**
 * From a state dict to the studio's Q-network: find the chain of `nn.Linear` layers of an MLP Q-network
 * (`<prefix><i>.weight` [out, in] and `<prefix><i>.bias` [out] at increasing Sequential indices), check that the
 * widths chain, and transpose the weights to tfjs's [in, out]. Layer sizes come from the tensor shapes.
 *
 * Known layouts: CleanRL's QNetwork (`network.0/2/4`), SB3's DQNPolicy (`q_net.q_net.0/2/…`, next to the target
 * copy `q_net_target.q_net.*`, which is skipped), a bare nn.Sequential (`0/2/4`). Anything with convolution
 * weights is a CNN policy (not supported yet); a 1-D weight inside the chain is a normalisation layer.
 */
import { paramShapes, type QNetworkSpec } from '../nn/q-network.ts';
import { ModelFileError } from './errors.ts';
import type { StateDict } from './torch-state-dict.ts';

export interface MlpWeights {
  readonly spec: QNetworkSpec;
  /** [W0, b0, W1, b1, …] in tfjs layout (W as [in, out] row-major). */
  readonly values: Float32Array[];
  /** The key prefix of the chain ('' for a bare Sequential). */
  readonly prefix: string;
  /** Weight keys read, in layer order. */
  readonly layers: string[];
  /** Float tensors that are not part of the chain (a target network, an optimizer's leftovers). */
  readonly ignored: string[];
}

const LAYER_KEY = /^(.*?)(\d+)\.(weight|bias)$/;

export function findCnnLayer(sd: StateDict): string | null {
  for (const [key, t] of sd) {
    if (key.endsWith('.weight') && (t.shape.length === 3 || t.shape.length === 4 || t.shape.length === 5)) return `${key} [${t.shape.join(', ')}]`;
  }
  return null;
}

export function mlpFromStateDict(sd: StateDict, file: string, options: { prefix?: string } = {}): MlpWeights {
  const cnn = findCnnLayer(sd);
  if (cnn) throw new ModelFileError(file, `convolutional layer ${cnn}: CNN policies are not supported yet (only MLP Q-networks)`);

  const byPrefix = new Map<string, Map<number, { weight?: string; bias?: string }>>();
  for (const key of sd.keys()) {
    const m = LAYER_KEY.exec(key);
    if (!m) continue;
    const [, prefix, index, kind] = m;
    if (!byPrefix.has(prefix)) byPrefix.set(prefix, new Map());
    const layers = byPrefix.get(prefix)!;
    const i = Number(index);
    layers.set(i, { ...layers.get(i), [kind]: key });
  }
  let prefix = options.prefix;
  if (prefix === undefined) {
    const candidates = [...byPrefix.keys()].filter((p) => !/target/i.test(p));
    if (candidates.length === 0) {
      throw new ModelFileError(file, `no MLP layers found: expected keys like "network.0.weight" or "q_net.q_net.0.weight", found ${[...sd.keys()].slice(0, 8).join(', ') || 'no tensors'}`);
    }
    if (candidates.length > 1) {
      throw new ModelFileError(file, `several networks in one file (key prefixes ${candidates.map((c) => JSON.stringify(c)).join(', ')}); expected one MLP Q-network (dueling or multi-head networks are not supported)`);
    }
    prefix = candidates[0];
  }
  const layerMap = byPrefix.get(prefix);
  if (!layerMap) throw new ModelFileError(file, `no layers under "${prefix}" (keys: ${[...sd.keys()].slice(0, 8).join(', ')})`);
  for (const key of sd.keys()) {
    if (key.startsWith(prefix) && !LAYER_KEY.test(key)) {
      throw new ModelFileError(file, `"${key}" is not a weight or bias of a Linear layer: only Linear layers and activations are supported in the Q-network`);
    }
  }
  const indices = [...layerMap.keys()].sort((a, b) => a - b);
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  const sizes: number[] = [];
  const layers: string[] = [];
  for (const i of indices) {
    const { weight, bias } = layerMap.get(i)!;
    if (!weight) throw new ModelFileError(file, `"${bias}" has no matching weight`);
    const w = sd.get(weight)!;
    if (w.data.length === 0 && w.shape.reduce((a, b) => a * b, 1) > 0) throw new ModelFileError(file, `"${weight}" has dtype ${w.dtype}; weights must be floating point`);
    if (w.shape.length === 1) throw new ModelFileError(file, `"${weight}" is 1-D [${w.shape[0]}]: a normalisation layer (LayerNorm/BatchNorm) inside the Q-network is not supported`);
    if (w.shape.length !== 2) throw new ModelFileError(file, `"${weight}" has shape [${w.shape.join(', ')}], a Linear weight is [out, in]`);
    const [out, inp] = w.shape;
    if (sizes.length === 0) sizes.push(inp);
    else if (sizes[sizes.length - 1] !== inp) {
      throw new ModelFileError(file, `layer widths do not chain: "${layers[layers.length - 1]}" outputs ${sizes[sizes.length - 1]} values but "${weight}" expects ${inp} inputs`);
    }
    sizes.push(out);
    // torch keeps W as [out, in]; tfjs as [in, out].
    const t = new Float32Array(inp * out);
    for (let o = 0; o < out; o++) for (let k = 0; k < inp; k++) t[k * out + o] = w.data[o * inp + k];
    weights.push(t);
    if (bias) {
      const b = sd.get(bias)!;
      if (b.shape.length !== 1 || b.shape[0] !== out) throw new ModelFileError(file, `"${bias}" has shape [${b.shape.join(', ')}], expected [${out}]`);
      biases.push(Float32Array.from(b.data));
    } else biases.push(new Float32Array(out)); // nn.Linear(bias=False)
    layers.push(weight);
  }
  const spec: QNetworkSpec = { inputSize: sizes[0], hiddenSizes: sizes.slice(1, -1), outputSize: sizes[sizes.length - 1] };
  const values = weights.flatMap((w, i) => [w, biases[i]]);
  paramShapes(spec).forEach((s, i) => {
    if (values[i].length !== s.reduce((a, b) => a * b, 1)) throw new Error('internal: weight sizes do not match the spec');
  });
  const ignored = [...sd.keys()].filter((k) => !k.startsWith(prefix!) && sd.get(k)!.data.length > 0);
  return { spec, values, prefix, layers, ignored };
}
