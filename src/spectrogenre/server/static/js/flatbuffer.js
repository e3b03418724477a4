// LiteRT.js runs models of fixed shapes only: it refuses a [1, 279, 271] input for a model
// declared [-1, 279, 271], and Keras exports leave the batch size free. Setting every free
// dimension of the tensors' shape_signature to 1, in place in the .tflite flatbuffer, gives
// the batch-of-one model that Python's interpreter runs (the `shape` fields already say 1).

// Field numbers in the TFLite schema (tensorflow/compiler/mlir/lite/schema/schema.fbs).
const MODEL_SUBGRAPHS = 2;
const SUBGRAPH_TENSORS = 0;
const TENSOR_SHAPE_SIGNATURE = 7;

/** Fix the batch size of a .tflite model to 1, modifying `bytes` (Uint8Array); returns it. */
export function fixBatchSize(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const deref = (at) => at + view.getUint32(at, true); // a uoffset, relative to where it is stored
  // A table starts with a signed offset back to its vtable, which holds each field's position.
  const field = (table, id) => {
    const vtable = table - view.getInt32(table, true);
    const slot = 4 + 2 * id;
    const offset = slot < view.getUint16(vtable, true) ? view.getUint16(vtable + slot, true) : 0;
    return offset ? table + offset : null;
  };
  const vector = (at) => {
    const start = deref(at);
    return Array.from({ length: view.getUint32(start, true) }, (_, i) => start + 4 + 4 * i);
  };
  for (const subgraph of vector(field(deref(0), MODEL_SUBGRAPHS)).map(deref)) {
    for (const tensor of vector(field(subgraph, SUBGRAPH_TENSORS)).map(deref)) {
      const signature = field(tensor, TENSOR_SHAPE_SIGNATURE);
      if (signature === null) continue;
      for (const dim of vector(signature)) {
        if (view.getInt32(dim, true) === -1) view.setInt32(dim, 1, true);
      }
    }
  }
  return bytes;
}
