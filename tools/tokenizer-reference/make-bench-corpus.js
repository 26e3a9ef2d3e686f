// Writes the ~10 MB mixed benchmark corpus (not committed): Tiny Shakespeare, then generated prose,
// code and mixed-script text with a long tail of made-up words, so the piece cache sees misses too.
// Usage: node make-bench-corpus.js TINYSHAKESPEARE.txt OUTPUT.txt [MEGABYTES]
const fs = require("fs");
const c = require("./corpus");

const [shakespearePath, outPath, megabytes = "10"] = process.argv.slice(2);
const target = Number(megabytes) * 1e6;
const r = c.rng(7);
const syllables = ["ka", "lo", "mi", "ter", "an", "vel", "or", "is", "qu", "ex", "tion", "ing", "pre", "con", "dra", "sh", "th", "ou"];
const word = () => Array.from({ length: 1 + r.int(4) }, () => r.pick(syllables)).join("");
const ident = () => word() + (r.chance(0.5) ? word().replace(/^./, (x) => x.toUpperCase()) : "") + (r.chance(0.2) ? r.int(100) : "");

function prose() {
  const parts = [];
  for (let i = 0; i < 4 + r.int(6); i++) {
    let s = r.pick(c.prose);
    if (r.chance(0.5)) s = s.replace(/\b\w{5,}\b/, word());
    if (r.chance(0.3)) s += ` ${r.int(100000)} ${word()}s, ${word()}'s ${word()}.`;
    parts.push(s);
  }
  return parts.join(" ") + "\n\n";
}

function code() {
  const lines = [];
  for (let i = 0; i < 6 + r.int(20); i++) {
    const indent = " ".repeat(4 * r.int(4));
    const line = r.chance(0.5)
      ? r.pick(c.code).replace(/\b(sum|values|weights|cache|fn|xs|matrix|alpha|beta)\b/g, ident)
      : `${indent}var ${ident()} = ${ident()}.${ident()}(${ident()}, ${r.int(1000)});\n`;
    lines.push(indent + line);
  }
  return lines.join("");
}

const chunks = [fs.readFileSync(shakespearePath, "utf8")];
let size = Buffer.byteLength(chunks[0]);
while (size < target) {
  const kind = r.int(10);
  const chunk = kind < 4 ? prose() : kind < 7 ? code() : c.mixed(r, 200 + r.int(800)) + "\n";
  chunks.push(chunk);
  size += Buffer.byteLength(chunk);
}
fs.writeFileSync(outPath, chunks.join(""));
console.log(`${outPath}: ${size} bytes`);
