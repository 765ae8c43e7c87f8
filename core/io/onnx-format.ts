/**
 * ONNX model files, encoded and decoded with the onnx-proto package (ONNX's own protobuf schema compiled for
 * protobufjs): inspecting an imported teacher's graph, and writing a Q-network as Gemm + Relu nodes.
 *
 * Written models use opset 13 and IR version 7 (what onnxruntime ≥ 1.8 and ONNX ≥ 1.8 read), one input `obs`
 * [batch, observations] float32 and one output `q_values` [batch, actions], the batch dimension symbolic.
 */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { paramCount, type QNetworkSpec } from '../nn/q-network.ts';
import { ModelFileError, reason } from './errors.ts';

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

export interface OnnxInfo {
  readonly inputName: string;
  readonly outputName: string;
  /** Dimensions: a number, or the symbolic name (string) / null when unknown. */
  readonly inputShape: (number | string | null)[];
  readonly outputShape: (number | string | null)[];
  readonly irVersion: number;
  readonly opset: number | null;
  readonly producer: string;
  /** Elements in all initializers (the model's parameters). */
  readonly paramCount: number;
  /** Widths of the Gemm/MatMul layers before the last one, when the graph is a chain of them. */
  readonly hiddenSizes: number[];
  readonly opTypes: string[];
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v as { toString(): string }));

function dims(t: Onnx.ITypeProto | null | undefined): (number | string | null)[] | null {
  const shape = t?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : d.dimParam ? d.dimParam : null));
}

export function decodeOnnx(bytes: Uint8Array, file: string): Onnx.ModelProto {
  let model: Onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ModelFileError(file, `truncated or corrupt ONNX model (${reason(err)})`);
  }
  if (!model.graph || num(model.irVersion) < 1) throw new ModelFileError(file, 'not an ONNX model (no graph or IR version)');
  return model;
}

/** Checks that the graph maps one float observation batch to one Q-value batch; describes it. */
export function inspectOnnx(bytes: Uint8Array, file: string): OnnxInfo {
  const model = decodeOnnx(bytes, file);
  const graph = model.graph!;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  const outputs = graph.output ?? [];
  const opTypes = [...new Set((graph.node ?? []).map((n) => n.opType ?? ''))];
  if (opTypes.some((t) => /^(Conv|ConvTranspose|MaxPool|AveragePool)$/.test(t))) {
    throw new ModelFileError(file, `the graph has ${opTypes.filter((t) => /Conv|Pool/.test(t)).join(', ')} nodes: CNN policies are not supported yet (only MLP Q-networks on vector observations)`);
  }
  if (inputs.length !== 1) throw new ModelFileError(file, `expected one input (the observation batch), the graph has ${inputs.length}: ${inputs.map((i) => i.name).join(', ')}`);
  if (outputs.length !== 1) throw new ModelFileError(file, `expected one output (the Q-values), the graph has ${outputs.length}: ${outputs.map((o) => o.name).join(', ')}`);
  const input = inputs[0];
  const output = outputs[0];
  if (input.type?.tensorType?.elemType !== FLOAT) throw new ModelFileError(file, `input "${input.name}" must be a float32 tensor (ONNX elem_type ${FLOAT}), it is elem_type ${input.type?.tensorType?.elemType}`);
  if (output.type?.tensorType?.elemType !== FLOAT) throw new ModelFileError(file, `output "${output.name}" must be a float32 tensor, it is elem_type ${output.type?.tensorType?.elemType}`);
  const inputShape = dims(input.type) ?? [];
  const outputShape = dims(output.type) ?? [];
  if (inputShape.length !== 2) {
    throw new ModelFileError(file, `input "${input.name}" has rank ${inputShape.length} (shape [${inputShape.join(', ')}]); expected [batch, observations]${inputShape.length >= 3 ? ': image observations (CNN policies) are not supported yet' : ''}`);
  }
  if (outputShape.length !== 2) throw new ModelFileError(file, `output "${output.name}" has rank ${outputShape.length}; expected [batch, actions]`);

  const widths: number[] = [];
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Gemm' && node.opType !== 'MatMul') continue;
    const w = initializers.get(node.input?.[1] ?? '');
    if (!w?.dims || w.dims.length !== 2) continue;
    const transB = node.attribute?.find((a) => a.name === 'transB');
    widths.push(num(w.dims[transB && num(transB.i) === 1 ? 0 : 1]));
  }
  let count = 0;
  for (const t of graph.initializer ?? []) count += (t.dims ?? []).reduce<number>((a, d) => a * num(d), 1);
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    inputName: input.name ?? '',
    outputName: output.name ?? '',
    inputShape,
    outputShape,
    irVersion: num(model.irVersion),
    opset: opset ? num(opset.version) : null,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    paramCount: count,
    hiddenSizes: widths.slice(0, -1),
    opTypes,
  };
}

function tensor(name: string, shape: number[], values: Float32Array): Onnx.ITensorProto {
  const raw = new Uint8Array(values.byteLength);
  new Float32Array(raw.buffer).set(values); // little-endian, as ONNX's raw_data requires (every platform Node runs on)
  return { name, dims: shape, dataType: FLOAT, rawData: raw };
}

function valueInfo(name: string, width: number): Onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] } } } };
}

/**
 * An MLP Q-network as ONNX: per layer `Gemm(h, W[in,out], b)` (Gemm's Y = A·B + C), `Relu` between layers.
 * `values` are the tfjs-layout parameters [W0, b0, …] of `spec`.
 */
export function encodeOnnxMlp(spec: QNetworkSpec, values: readonly Float32Array[], info: { docString: string; metadata: Record<string, string>; producerVersion: string }): Uint8Array {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  const layers = sizes.length - 1;
  const nodes: Onnx.INodeProto[] = [];
  const initializers: Onnx.ITensorProto[] = [];
  let h = 'obs';
  for (let l = 0; l < layers; l++) {
    const last = l + 1 === layers;
    initializers.push(tensor(`W${l}`, [sizes[l], sizes[l + 1]], values[2 * l]), tensor(`b${l}`, [sizes[l + 1]], values[2 * l + 1]));
    const out = last ? 'q_values' : `dense${l}`;
    nodes.push({ name: `gemm${l}`, opType: 'Gemm', input: [h, `W${l}`, `b${l}`], output: [out] });
    if (!last) {
      nodes.push({ name: `relu${l}`, opType: 'Relu', input: [out], output: [`relu${l}`] });
      h = `relu${l}`;
    }
  }
  const model: Onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'distill-studio',
    producerVersion: info.producerVersion,
    docString: info.docString,
    metadataProps: Object.entries({ ...info.metadata, parameters: String(paramCount(spec)) }).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'q_network',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('obs', spec.inputSize)],
      output: [valueInfo('q_values', spec.outputSize)],
    },
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`internal: invalid ONNX model (${err})`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
