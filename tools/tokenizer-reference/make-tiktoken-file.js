// Writes tiktoken's own gpt2 ranks as a standard .tiktoken file (base64 token, space, rank per line),
// unpacking the package's bundled encoders/gpt2.json; for checking Gpt.Sdk's rank-file reader and writer.
// Usage: node make-tiktoken-file.js OUTPUT.tiktoken
const fs = require("fs");
const { bpe_ranks } = require("tiktoken/encoders/gpt2.json");
const lines = [];
for (const group of bpe_ranks.split("\n")) {
  const [, offset, ...tokens] = group.split(" "); // "<marker> <first rank> <base64> <base64> ..."
  tokens.forEach((token, i) => lines.push(`${token} ${Number(offset) + i}`));
}
fs.writeFileSync(process.argv[2], lines.join("\n") + "\n");
console.log(`${lines.length} ranks written to ${process.argv[2]}`);
