// Writes goldens.jsonl.gz: one case per line, {"text": ..., "ids": [...]} with the ids of tiktoken's
// gpt2 encoding. Special-token text is ordinary text unless the case says "allowSpecial": true. Texts
// with lone UTF-16 surrogates are given as "units" (UTF-16 code units), which JSON cannot carry as text.
// Usage: node make-goldens.js OUTPUT_FOLDER
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { get_encoding } = require("tiktoken");
const c = require("./corpus");

const enc = get_encoding("gpt2");
const r = c.rng(20241122);
const cases = [];
const add = (text, allowSpecial = false) => cases.push({ text, allowSpecial });

add("Hello world");
add(" Hello world");
add("");
for (const list of [c.prose, c.code, c.scripts, c.emoji, c.combining, c.numbers, c.contractions, c.whitespace, c.controls, c.symbols]) {
  for (const item of list) {
    add(item);
    add(" " + item);
    add(item + item + " " + item);
  }
}
// Every whitespace run between every kind of neighbour: the \s+(?!\S) back-off.
for (const w1 of c.whitespace) for (const w2 of c.whitespace) for (const next of ["x", "7", "!", "'s", "日", ""]) add("a" + w1 + w2 + next);
// Contractions against letters, digits, symbols and spaces on both sides.
for (const k of c.contractions) for (const side of ["", " ", "a", "A", "1", "!", "\n", "é"]) add(side + k + side + k + "x");
for (let i = 0; i < 1600; i++) add(c.mixed(r, 8 + r.int(r.chance(0.2) ? 900 : 160)));
for (let i = 0; i < 300; i++) add(c.randomCodePoints(r, 1 + r.int(60)));
for (const text of c.longPieces(r)) add(text);
for (const text of c.loneSurrogates()) add(text);
add("<|endoftext|>", true);
add("Document one.<|endoftext|>Document two.<|endoftext|><|endoftext|> three", true);
add(" <|endoftext|>\n<|endoftext|> <|endoftext", true);

const lines = cases.map(({ text, allowSpecial }) => {
  const ids = Array.from(allowSpecial ? enc.encode(text, "all") : enc.encode(text, [], []));
  const wellFormed = !/\p{Surrogate}/u.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""));
  const item = wellFormed ? { text } : { units: [...Array(text.length).keys()].map((i) => text.charCodeAt(i)) };
  if (allowSpecial) item.allowSpecial = true;
  item.ids = ids;
  return JSON.stringify(item);
});
enc.free();

const out = process.argv[2] || ".";
fs.mkdirSync(out, { recursive: true });
const raw = Buffer.from(lines.join("\n") + "\n", "utf8");
const gz = zlib.gzipSync(raw, { level: 9 });
fs.writeFileSync(path.join(out, "goldens.jsonl.gz"), gz);
const chars = cases.reduce((n, x) => n + x.text.length, 0);
console.log(`${cases.length} cases, ${chars} UTF-16 units, ${raw.length} bytes of JSON, ${gz.length} bytes gzipped`);
