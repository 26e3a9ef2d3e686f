// Reference encoder for comparisons: reads lines {"text": "..."} on stdin and writes one JSON array of
// tiktoken gpt2 ids per line, like `gpt tokenize --jsonl`. --allow-special turns special-token text
// into special tokens; otherwise it is encoded as ordinary text.
const readline = require("readline");
const { get_encoding } = require("tiktoken");
const enc = get_encoding("gpt2");
const allowSpecial = process.argv.includes("--allow-special");
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
rl.on("line", (line) => {
  if (line.trim() === "") return;
  const { text } = JSON.parse(line);
  const ids = allowSpecial ? enc.encode(text, "all") : enc.encode(text, [], []);
  out.push(JSON.stringify(Array.from(ids)));
  if (out.length >= 1000) { process.stdout.write(out.join("\n") + "\n"); out.length = 0; }
});
rl.on("close", () => { if (out.length) process.stdout.write(out.join("\n") + "\n"); enc.free(); });
