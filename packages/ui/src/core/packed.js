// The log's packed arrays (nas_core/packed.py): a model's test-set predictions come as
// base64 of [bits][count: uint32 LE][data], bits 4, 8, 16 or 32 (4-bit labels two a
// byte, the first in the low nibble). Views that need the labels unpack them here.

/** The labels of packed predictions (a base64 string, as the server's JSON has them;
 * an array passes through, as older clients' states held them). */
export function unpackLabels(packed) {
  if (Array.isArray(packed)) return packed;
  const raw = atob(packed ?? "");
  if (raw.length < 5) return [];
  const bits = raw.charCodeAt(0);
  const count =
    (raw.charCodeAt(1) | (raw.charCodeAt(2) << 8) | (raw.charCodeAt(3) << 16) | (raw.charCodeAt(4) << 24)) >>> 0;
  const out = new Array(count);
  const bytes = bits / 8;
  for (let i = 0; i < count; i++) {
    if (bits === 4) {
      const b = raw.charCodeAt(5 + (i >> 1));
      out[i] = i & 1 ? b >> 4 : b & 0x0f;
    } else {
      let v = 0;
      for (let k = bytes - 1; k >= 0; k--) v = v * 256 + raw.charCodeAt(5 + i * bytes + k);
      out[i] = v;
    }
  }
  return out;
}
