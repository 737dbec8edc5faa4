// Reads a PNG screenshot far enough to tell a blank one from a screen that shows something:
// 8-bit RGB or RGBA, non-interlaced (what WebKitWebDriver writes), every filter type undone.
// A blank screen (one colour, or a few pixels of another) once passed the end-to-end tests;
// `assertNotBlank` fails them instead.
import { inflateSync } from "node:zlib";
import assert from "node:assert/strict";

/** Decodes a PNG into { width, height, channels, pixels } (pixels: one byte per channel). */
export function decodePng(buf) {
  assert.equal(buf.subarray(0, 8).toString("hex"), "89504e470d0a1a0a", "not a PNG");
  let pos = 8;
  let width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
  const idat = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8];
      colour = data[9];
      interlace = data[12];
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
    pos += 12 + len;
  }
  assert.equal(depth, 8, "8-bit PNG expected");
  assert.equal(interlace, 0, "non-interlaced PNG expected");
  const channels = { 2: 3, 6: 4 }[colour];
  assert.ok(channels, `RGB or RGBA PNG expected, colour type ${colour}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/**
 * Fails unless the screenshot shows something: at least `minColours` distinct colours, and at
 * least `minShare` of the pixels differing from the most common colour (the background).
 */
export function assertNotBlank(buf, name, { minColours = 16, minShare = 0.005 } = {}) {
  const { width, height, channels, pixels } = decodePng(buf);
  const counts = new Map();
  for (let i = 0; i < pixels.length; i += channels) {
    const key = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const background = Math.max(...counts.values());
  const share = 1 - background / (width * height);
  assert.ok(
    counts.size >= minColours && share >= minShare,
    `${name} looks blank: ${counts.size} colour(s), ${(share * 100).toFixed(2)}% off the background`,
  );
}
