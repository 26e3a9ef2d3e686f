// tiktoken's side of `gpt bench tokenize`: encode the whole file as one string, single thread,
// best of N runs; MB = 10^6 bytes of UTF-8.
const fs = require("fs");
const { get_encoding } = require("tiktoken");
const file = process.argv[2];
const repeat = Number(process.argv[3] || 3);
const text = fs.readFileSync(file, "utf8");
const bytes = Buffer.byteLength(text, "utf8");
const enc = get_encoding("gpt2");
let best = Infinity, bestDecode = Infinity, tokens = 0;
for (let r = 0; r < repeat; r++) {
  let t0 = process.hrtime.bigint();
  const ids = enc.encode(text, [], []);
  let t1 = process.hrtime.bigint();
  best = Math.min(best, Number(t1 - t0) / 1e9);
  tokens = ids.length;
  t0 = process.hrtime.bigint();
  const decoded = new TextDecoder().decode(enc.decode(ids));
  t1 = process.hrtime.bigint();
  bestDecode = Math.min(bestDecode, Number(t1 - t0) / 1e9);
  if (decoded.length !== text.length) throw new Error("tiktoken round trip changed the text");
}
enc.free();
console.log(JSON.stringify({ tiktoken: { encode_mb_per_s: bytes / 1e6 / best, decode_mb_per_s: bytes / 1e6 / bestDecode, tokens, bytes } }));
