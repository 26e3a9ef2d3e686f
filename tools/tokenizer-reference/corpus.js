// A seeded generator of diverse text for tokenizer parity tests. Everything here is written for this
// project: short prose, code, and text in other scripts, recombined at random with whitespace runs,
// numbers, emoji sequences, combining marks, control characters and random code points.

function rng(seed) {
  // splitmix32: small, fast, and the same sequence on every machine
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const r = {
    next,
    int: (n) => next() % n,
    pick: (list) => list[next() % list.length],
    chance: (p) => next() / 4294967296 < p,
  };
  return r;
}

const prose = [
  "The lighthouse keeper counted the ships twice, once at dusk and once when the fog lifted.",
  "She didn't think the bridge would hold, but they'd already paid the toll, so they crossed anyway.",
  "It's not that I'm afraid of heights; it's that the ground is very far away and I've noticed.",
  "Rain fell on the tin roof all night, and by morning the garden had become a small brown lake.",
  "We'll meet at the station at 7:45, unless the train is late again, which it usually is.",
  "A good compiler error tells you what went wrong, where it went wrong, and what you might do next.",
  "The recipe called for 250 g of flour, 3 eggs, a pinch of salt and far more patience than I had.",
  "\"Are you sure?\" he asked. \"Quite sure,\" she said, and closed the book with a soft thump.",
  "Temperatures dropped to -12.5 °C overnight; the pipes froze at 03:00 and burst by 04:10.",
  "THE COMMITTEE HAS DECIDED, AFTER SOME DEBATE, THAT THE MEETING SHALL CONTINUE TOMORROW.",
  "You're welcome to try the soup, but they've warned me it's spicier than it looks.",
  "In 1969 the crew travelled roughly 384,400 km to reach the Moon, and then came back again.",
  "Wait—what? That can't be right… can it?! Let's check the numbers (again) before we panic.",
  "Her notebook was full of lists: groceries, birthdays, unfinished ideas, and names of old cats.",
  "The museum's newest exhibit features clocks that run backwards, sideways, or not at all.",
  "He'll say he's fine, he'd say that even if the house were on fire, and it isn't, thankfully.",
  "naïve café owners in Zürich serve crème brûlée with a side of façade and a smörgåsbord.",
  "O'Neill's dog ate the homework; the teacher's response was, predictably, unimpressed.",
  "Ms. Alvarez-Lindqvist arrived at 9 a.m. sharp, carrying 14 folders and 2 cups of tea.",
  "Between the mountains and the sea lies a town where everyone owns exactly one umbrella.",
];

const code = [
  "public static int Add(int a, int b) => a + b;\n",
  "for (int i = 0; i < n; i++)\n{\n    sum += values[i] * weights[i];\n}\n",
  "def softmax(xs):\n    m = max(xs)\n    e = [math.exp(x - m) for x in xs]\n    return [v / sum(e) for v in e]\n",
  "const cache = new Map();\nfunction memo(fn) {\n\treturn (k) => cache.has(k) ? cache.get(k) : (cache.set(k, fn(k)), cache.get(k));\n}\n",
  "if (x != null && x.Length > 0) { return x[0]; } else { throw new ArgumentException(\"empty\"); }",
  "SELECT id, name, COUNT(*) AS n FROM users WHERE created_at >= '2024-01-01' GROUP BY id, name;\n",
  "#include <stdio.h>\nint main(void) {\n  printf(\"%d\\n\", 42);\n  return 0;\n}\n",
  "    # indented comment with trailing spaces   \n\t\tdeeply_indented = {\"key\": [1, 2, 3]}\n",
  "x+=1;y-=2;z*=3;w/=4;a%=5;b<<=6;c>>=7;d&=8;e|=9;f^=10;g??=h;i=>j;k->l;m::n;",
  "<div class=\"card\"><p>Hello &amp; welcome</p><!-- note --></div>\n",
  "{\"name\": \"gpt\", \"layers\": 12, \"dropout\": 0.1, \"tags\": [\"a\", \"b\"], \"ok\": true}",
  "fn main() { let v: Vec<u8> = (0..=255).collect(); println!(\"{:?}\", &v[..4]); }",
  "git commit -m 'fix: off-by-one in the loop' && git push origin main --force-with-lease",
  "matrix[i][j] = alpha * (a[i, k] @ b[k, j]) + beta * c[i][j]  // (B, T, C)",
  "   \n\n\n    return;\r\n}\r\n",
];

const scripts = [
  "今天天气很好，我们去公园散步吧。",
  "機械学習のモデルは大量のデータから規則を学びます。",
  "東京の地下鉄は時間通りに来ることで有名です。",
  "한국어 문장도 토큰화가 잘 되어야 합니다.",
  "서울에서 부산까지 기차로 세 시간 정도 걸립니다.",
  "مرحبا بالعالم، هذا نص عربي قصير للاختبار.",
  "الكتاب على الطاولة بجانب النافذة المفتوحة.",
  "नमस्ते दुनिया, यह हिन्दी में एक छोटा वाक्य है।",
  "मैंने कल बाज़ार से ताज़ी सब्ज़ियाँ ख़रीदीं।",
  "Привет, мир! Это короткое предложение на русском языке.",
  "Γειά σου κόσμε, αυτή είναι μια δοκιμή.",
  "שלום עולם, זהו משפט קצר בעברית.",
  "สวัสดีชาวโลก นี่คือประโยคภาษาไทย",
  "Xin chào thế giới, đây là một câu tiếng Việt.",
  "ሰላም ዓለም፣ ይህ አጭር ዓረፍተ ነገር ነው።",
  "வணக்கம் உலகம், இது ஒரு சிறிய வாக்கியம்.",
];

const emoji = [
  "👩‍👩‍👧‍👦", "👨🏽‍💻", "👍🏻👍🏼👍🏽👍🏾👍🏿", "🏳️‍🌈", "🇺🇸🇯🇵🇧🇷", "1️⃣2️⃣#️⃣", "❤️", "☺︎", "🧑🏿‍🤝‍🧑🏻",
  "😀😃😄😁😆", "🤷‍♀️", "👁️‍🗨️", "🫠🫶🪿", "🐈‍⬛", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🙂 🙃", "🚀✨🔥",
];

const combining = [
  "e\u0301", "a\u0308\u0304", "Z\u0324\u0308\u0301\u0316", "\u0915\u094d\u0937", "n\u0303o\u0303", "\u1100\u1161\u11a8",
  "o\u0336v\u0336e\u0336r\u0336", "i\u0307\u0307", "\u0627\u064e\u0644\u0652", "x\u20dd", "\u05e9\u05c1\u05b8",
];

const numbers = [
  "0", "7", "42", "1234567890", "3.14159265358979", "1,000,000", "2e-10", "0x7FFFFFFF", "-273.15",
  "٣٤٥٦", "१२३४५", "Ⅻ", "½¾⅓", "²³¹", "①②③", "１２３", "𝟘𝟙𝟚", "10⁻³", "99.9%", "$5", "€1.234,56",
];

const contractions = [
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D", "''s", "'''", "' s",
  "don't", "I'M", "they're", "we've", "it's", "you'll", "she'd", "can't've", "'tis", "rock'n'roll", "’s", "‘t", "'x",
];

const whitespace = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "\t\t", " \t ", "\u00a0", "\u3000",
  "\u2003", "\u2028", "\u2029", "\u000b", "\u000c", "\u0085", "\u1680", "\u202f", "\u205f", "          ", "\n\n\n\n"];

const controls = ["\u0000", "\u0001", "\u0007", "\u001b[31m", "\u001c", "\u001d", "\u001e", "\u001f", "\u007f",
  "\u200b", "\u200c", "\u200d", "\u200e", "\ufeff", "\u00ad", "\u2060", "\ufffd", "\ufff9"];

const symbols = ["!", "?!", "...", "—", "–", "«»", "“quoted”", "§", "©", "™", "→", "∑", "√", "∞", "≠", "±", "|", "~~",
  "@@", "##", "**", "__", "<|endoftext|>", "<|endoftext", "|>", "<|fim_prefix|>", "<s>", "</s>", "[CLS]", "\\n"];

// Code point ranges to draw random characters from: ASCII, Latin, Greek/Cyrillic, scripts with
// combining marks, CJK, Hangul, symbols, emoji, supplementary planes (some unassigned), private use.
const ranges = [
  [0x20, 0x7e], [0x00, 0x1f], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x52f], [0x590, 0x6ff], [0x900, 0xdff],
  [0xe00, 0xeff], [0x1000, 0x109f], [0x1100, 0x11ff], [0x1e00, 0x1fff], [0x2000, 0x2bff], [0x3000, 0x30ff],
  [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xe000, 0xf8ff], [0xf900, 0xfaff], [0xfb00, 0xfffd], [0x10000, 0x1018f],
  [0x1d400, 0x1d7ff], [0x1f300, 0x1faff], [0x20000, 0x2a6df], [0xe0000, 0xe007f], [0x10fff0, 0x10ffff],
];

function randomCodePoints(r, length) {
  let s = "";
  for (let i = 0; i < length; i++) {
    const [lo, hi] = r.pick(ranges);
    let cp = lo + r.int(hi - lo + 1);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    s += String.fromCodePoint(cp);
    if (r.chance(0.15)) s += r.pick([" ", " ", "\n", "\t"]);
  }
  return s;
}

function randomWord(r, alphabet, length) {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[r.int(alphabet.length)];
  return s;
}

function fragment(r) {
  switch (r.int(12)) {
    case 0: case 1: return r.pick(prose);
    case 2: return r.pick(code);
    case 3: return r.pick(scripts);
    case 4: return r.pick(emoji);
    case 5: return r.pick(combining);
    case 6: return r.pick(numbers);
    case 7: return r.pick(contractions);
    case 8: return r.pick(whitespace);
    case 9: return r.pick(controls);
    case 10: return r.pick(symbols);
    default: return randomCodePoints(r, 1 + r.int(12));
  }
}

/** Mixed text of about `length` UTF-16 units. */
function mixed(r, length) {
  let s = "";
  while (s.length < length) {
    s += fragment(r);
    if (r.chance(0.6)) s += r.pick([" ", " ", " ", "", "\n", ", ", ". ", "  ", "\t"]);
  }
  return s;
}

/** Long single pieces: runs of one class that stress the merge loop. */
function longPieces(r) {
  return [
    "a".repeat(3000),
    " " + randomWord(r, "abcdefghijklmnopqrstuvwxyz", 2500),
    randomWord(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 1500),
    "9".repeat(1000) + randomWord(r, "0123456789", 1500),
    "!?".repeat(800) + randomWord(r, "!@#$%^&*()_+-=[]{};:,./<>?|~`", 1200),
    " ".repeat(2000) + "x" + "\n".repeat(500) + "y" + " \t".repeat(300),
    "Pneumonoultramicroscopicsilicovolcanoconiosis".repeat(40),
    "ab".repeat(1500) + "ba".repeat(1500),
    randomWord(r, "日本語中文字漢", 1200),
    "😀".repeat(400) + "👩‍👩‍👧‍👦".repeat(100),
    randomWord(r, "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏàáâãäåæçèéêëìíîï", 1500),
    "ـ".repeat(600) + "lo" + "\u0301".repeat(500),
  ];
}

/** Texts with lone UTF-16 surrogates, which UTF-8 encoding turns into U+FFFD. */
function loneSurrogates() {
  return ["\ud800", "a\udc00b", "\ud83d", "x\ud83dy", "\ude00\ud83d", "😀\ud83d😀", " \udfff ", "ab\ud800\ud800cd", "\udbff"];
}

module.exports = { rng, mixed, longPieces, loneSurrogates, randomCodePoints, prose, code, scripts, emoji, combining, numbers, contractions, whitespace, controls, symbols };
