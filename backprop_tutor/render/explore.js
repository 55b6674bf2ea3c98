// backprop-tutor explore: shows the steps Python read off the trace (render/explore.py).
// Every value, working and accepted answer is in the data; the script recomputes only a sum
// or a product from the student's own answers (carriedForward), never a number it shows.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const steps = data.steps;
  const SVG = "http://www.w3.org/2000/svg";
  const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/; // a number as `quiz` reads one
  const $ = (id) => document.getElementById(id);
  const elements = {}; // "u:h1" / "e:w5" -> the picture's group
  const stepsAt = {}; // the same key -> the steps computed there
  let current = 0;
  const answers = {}; // the student's answers by id, in the rules' sign (δ as ∂E/∂net)
  const labelOf = Object.fromEntries(steps.map((s) => [s.id, s.label]));
  let lit = [];

  function text(tag, content) {
    const node = document.createElement(tag);
    node.textContent = content;
    return node;
  }

  function heading() {
    data.heading.forEach((line) => $("heading").appendChild(text("p", line)));
  }

  function svg(tag, attributes, parent) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attributes).forEach(([k, v]) => node.setAttribute(k, v));
    parent.appendChild(node);
    return node;
  }

  function picture() {
    const p = data.picture;
    const root = $("picture");
    root.setAttribute("viewBox", `0 0 ${p.width} ${p.height}`);
    root.style.minWidth = `${Math.round(p.width * 0.75)}px`; // legible: a phone scrolls the picture
    // as wide as that at least: where the side panel leaves it less, the panel goes below
    $("network").style.flexBasis = root.style.minWidth;
    const labelled = p.labelled; // else a label shows on hover only (its <title>): explore.py
    const fromSource = {};
    const lines = svg("g", {}, root);
    const labels = svg("g", {}, root); // drawn over every line: no line strikes through one
    p.edges.forEach((e) => {
      const g = svg("g", { class: "edge", "data-key": e.key }, lines);
      svg("title", {}, g).textContent = e.label;
      svg("line", { x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 }, g);
      svg("line", { x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2, class: "hit" }, g); // easy to click
      const k = (fromSource[e.x1 + "," + e.y1] = (fromSource[e.x1 + "," + e.y1] || 0) + 1);
      const t = 0.3 + 0.14 * ((k - 1) % 3); // edges from one unit: labels staggered
      if (labelled) {
        // where the picture found each label a place clear of the rest (explore.py), its
        // centre: the baseline is 4 px lower; else staggered along the edge
        const x = e.lx !== undefined ? e.lx : e.x1 + (e.x2 - e.x1) * t;
        const y = e.ly !== undefined ? e.ly + 4 : e.y1 + (e.y2 - e.y1) * t - 4;
        const at = { x: x, y: y, "text-anchor": "middle", class: "label", "data-label": e.key };
        const label = svg("text", at, labels);
        label.textContent = e.label;
        label.addEventListener("click", () => list(e.key));
      }
      elements[e.key] = g;
    });
    p.units.forEach((u) => {
      const g = svg("g", { class: "unit", "data-key": u.key }, labels);
      svg("circle", { cx: u.x, cy: u.y, r: p.r }, g);
      svg("text", { x: u.x, y: u.y + 4, "text-anchor": "middle" }, g).textContent = u.name;
      const below = [u.note, u.bias].filter(Boolean);
      below.forEach((line, i) => {
        svg("text", { x: u.x, y: u.y + p.r + 14 + 13 * i, "text-anchor": "middle" }, g)
          .textContent = line;
      });
      elements[u.key] = g;
    });
    Object.entries(elements).forEach(([key, g]) => {
      g.addEventListener("click", () => list(key));
    });
  }

  function index() {
    steps.forEach((s, i) => {
      s.mine.forEach((key) => {
        (stepsAt[key] = stepsAt[key] || []).push(i);
      });
    });
  }

  function list(key) {
    const box = $("listing");
    box.replaceChildren(text("h3", `Computed at ${key.slice(2)}`));
    (stepsAt[key] || []).forEach((i) => {
      const s = steps[i];
      const hidden = $("try").checked && s.accept !== null; // no answers given away
      const button = text("button", hidden ? s.label : `${s.label} = ${s.value}`);
      button.addEventListener("click", () => go(i));
      box.appendChild(button);
      box.appendChild(document.createElement("br"));
    });
  }

  function own(step) {
    // the units or edges the quantity itself belongs to (the rest of `at` is what it reads)
    return step.at.filter((key) => step.mine.includes(key));
  }

  function show() {
    const s = steps[current];
    lit.forEach((g) => g.classList.remove("used", "here"));
    lit = [];
    s.at.forEach((key) => {
      const g = elements[key];
      if (g) {
        g.classList.add(own(s).includes(key) ? "here" : "used");
        lit.push(g);
      }
    });
    $("section").textContent = s.section;
    $("label").textContent = s.label;
    $("id").textContent = s.id;
    $("rule").textContent = s.rule;
    const trying = $("try").checked && s.accept !== null; // an infinite value is just shown
    $("quiz").hidden = !trying;
    $("verdict").textContent = "";
    $("verdict").className = "";
    $("answer").value = "";
    $("working").textContent = trying || !s.working ? "" : `= ${s.working}`;
    $("result").textContent = trying ? "" : `= ${s.value}`;
    $("slider").value = current;
    $("count").textContent = `${current + 1} / ${steps.length}`;
    const hash = "#" + encodeURIComponent(s.id);
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function go(i) {
    current = Math.max(0, Math.min(steps.length - 1, i));
    show();
  }

  function answer(event) {
    event.preventDefault();
    const s = steps[current];
    const typed = $("answer").value.trim().replaceAll("−", "-");
    const number = Number(typed);
    const verdict = $("verdict");
    if (!DECIMAL.test(typed) || !Number.isFinite(number)) {
      verdict.textContent = "write a number, e.g. 0.5";
      verdict.className = "wrong";
      return;
    }
    const right = number >= s.accept[0] && number <= s.accept[1];
    const engine = s.id.startsWith("delta[") ? data.sign * number : number;
    const carried = !right && carriedForward(s, engine);
    if (right) {
      verdict.textContent = `right: ${s.value}`;
    } else if (carried) {
      const named = carried.map((id) => (labelOf[id] || id));
      verdict.textContent = `right for your ${named.join(", ")}, which ${
        carried.length > 1 ? "are" : "is"
      } off: it is ${s.value} from the exact numbers`;
    } else {
      verdict.textContent = `not quite: it is ${s.value}`;
    }
    verdict.className = right ? "right" : carried ? "carried" : "wrong";
    answers[s.id] = engine;
    $("working").textContent = s.working ? `= ${s.working}` : "";
    $("result").textContent = `= ${s.value}`;
  }

  // core/numbers.py's carry: `value` to `places` decimals as a calculator user writes it,
  // rounding its shortest decimal (JS's and Python's repr agree) half away from zero, so
  // 0.015 is 0.02 where the binary 0.01499... would give 0.01; null places: kept exact.
  function carry(value, places) {
    if (places === null || places === undefined || !Number.isFinite(value)) return value;
    const [mantissa, exponent] = Math.abs(value).toExponential().split("e");
    const digits = mantissa.replace(".", "");
    const kept = Number(exponent) + 1 + places; // the digits before the cut
    if (kept >= digits.length) return value; // already within `places` decimals
    const head = kept > 0 ? BigInt(digits.slice(0, kept)) : 0n;
    const up = kept >= 0 && digits[kept] >= "5" ? 1n : 0n;
    return Math.sign(value) * Number(`${head + up}e-${places}`);
  }

  // Σ values exactly rounded, as Python's math.fsum, which the engine's rules sum with
  // (Shewchuk's partials, then CPython's half-way correction): a plain left-to-right sum
  // gives −1 + 0.02 + 0.045 = −0.9349999999999999, which carries to −0.93, not −0.94
  function fsum(values) {
    const partials = [];
    for (let x of values) {
      let i = 0;
      for (let y of partials) {
        if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
        const hi = x + y;
        const lo = y - (hi - x);
        if (lo) partials[i++] = lo;
        x = hi;
      }
      partials.length = i;
      partials.push(x);
    }
    let n = partials.length;
    if (!n) return 0;
    let hi = partials[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = partials[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo) break;
    }
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  // Σ c·x; with `at` = [k, places], an update new = old + Δ under calculator arithmetic:
  // the terms from input k on are Δ, carried before it is added (rules.py).
  function weightedSum(c, x, at) {
    if (at && at.length === 2) {
      const [k, places] = at;
      const step = weightedSum(c.slice(k), x.slice(k), []);
      return weightedSum(c.slice(0, k), x.slice(0, k), []) + carry(step, places);
    }
    return fsum(c.map((k, i) => k * x[i]));
  }

  // The rule recomputed from the student's own answers where given (the exact values where
  // not): core/rules.py's weighted_sum, dot and product, the only rules the page computes,
  // carried as the engine carries under calculator arithmetic (data.places).
  // Returns the ids of the student's answers it read when the answer fits them, else null.
  function carriedForward(s, number) {
    const rule = s.sum;
    if (!rule) return null;
    const used = rule.inputs.filter((id) => id in answers);
    if (!used.length) return null;
    const x = rule.inputs.map((id, i) => (id in answers ? answers[id] : rule.exact[i]));
    const c = rule.coefficients;
    let value;
    if (rule.op === "product") {
      value = x.reduce((a, b) => a * b, 1);
    } else {
      const pairs = rule.op === "dot" ? x.length - c.length : 0;
      const products = [];
      for (let i = 0; i < pairs; i += 2) products.push(x[i] * x[i + 1]);
      value = fsum(products) + weightedSum(c, x.slice(pairs), rule.at); // as rules.py's _dot
    }
    if (rule.rounded) value = carry(value, data.places);
    return Math.abs(number - value) <= data.unit ? used : null;
  }

  function fromHash() {
    // the step a link names (#new%5Bw5%5D: "the update of w5"), if it names one
    let id;
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch (error) {
      id = ""; // a malformed fragment names no step
    }
    const i = steps.findIndex((s) => s.id === id);
    if (i >= 0) go(i);
    return i >= 0;
  }

  heading();
  picture();
  index();
  $("slider").max = steps.length - 1;
  $("slider").addEventListener("input", (e) => go(Number(e.target.value)));
  $("prev").addEventListener("click", () => go(current - 1));
  $("next").addEventListener("click", () => go(current + 1));
  $("try").addEventListener("change", show);
  $("quiz").addEventListener("submit", answer);
  $("reveal").addEventListener("click", () => {
    const s = steps[current];
    $("working").textContent = s.working ? `= ${s.working}` : "";
    $("result").textContent = `= ${s.value}`;
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT") return; // the slider moves itself; answers are typed
    if (e.key === "ArrowRight") go(current + 1);
    if (e.key === "ArrowLeft") go(current - 1);
  });
  window.addEventListener("hashchange", fromHash);
  if (!fromHash()) show();
})();
