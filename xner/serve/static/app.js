// The page of `xner serve`: POST the text to /tag and highlight the returned spans by type.
"use strict";

const COLORS = { PER: "#ffd8a8", LOC: "#b2f2bb", ORG: "#a5d8ff", MISC: "#eebefa" };
const EXTRA = ["#ffec99", "#c3fae8", "#ffc9c9", "#d0bfff", "#dee2e6"];

function colorOf(type) {
  if (COLORS[type]) return COLORS[type];
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return EXTRA[h % EXTRA.length];
}

const $ = (id) => document.getElementById(id);

function setStatus(message, isError) {
  $("status").textContent = message;
  $("status").className = isError ? "error" : "";
}

async function loadModels() {
  const res = await fetch("/health");
  const health = await res.json();
  const select = $("lang");
  for (const lang of Object.keys(health.models)) {
    const option = document.createElement("option");
    option.value = lang;
    option.textContent = lang;
    option.selected = lang === health.default_lang;
    select.appendChild(option);
  }
}

// Text with <mark> elements for the entities; built from DOM nodes, so the text is never parsed as HTML.
// The server's offsets count Unicode code points (Python); JS strings index UTF-16 units, which differ after
// any character outside the BMP (emoji), so the text is cut as an array of code points.
function render(text, entities) {
  const out = $("output");
  out.replaceChildren();
  const chars = Array.from(text);
  const cut = (start, end) => chars.slice(start, end).join("");
  let pos = 0;
  for (const ent of entities) {
    if (ent.start > pos) out.appendChild(document.createTextNode(cut(pos, ent.start)));
    const mark = document.createElement("mark");
    mark.className = "ent";
    mark.dataset.type = ent.type;
    mark.style.setProperty("--c", colorOf(ent.type));
    mark.title = ent.type;
    mark.appendChild(document.createTextNode(cut(ent.start, ent.end)));
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = ent.type;
    mark.appendChild(label);
    out.appendChild(mark);
    pos = ent.end;
  }
  if (pos < chars.length) out.appendChild(document.createTextNode(cut(pos)));

  const legend = $("legend");
  legend.replaceChildren();
  for (const type of [...new Set(entities.map((e) => e.type))].sort()) {
    const item = document.createElement("span");
    item.style.setProperty("--c", colorOf(type));
    item.textContent = type;
    legend.appendChild(item);
  }

  const body = $("entities").querySelector("tbody");
  body.replaceChildren();
  for (const ent of entities) {
    const row = body.insertRow();
    row.insertCell().textContent = ent.type;
    row.insertCell().textContent = ent.text;
    row.insertCell().textContent = `${ent.start}–${ent.end}`;
  }
  $("result").hidden = false;
}

async function tag(event) {
  event.preventDefault();
  const text = $("text").value;
  const button = $("tag-button");
  button.disabled = true;
  setStatus("tagging…", false);
  try {
    const res = await fetch("/tag", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, lang: $("lang").value || null }),
    });
    const data = await res.json();
    if (!res.ok) {
      setStatus(`error ${res.status}: ${data.detail || data.error}`, true);
      return;
    }
    render(data.text, data.entities);
    const n = data.entities.length;
    setStatus(`${n} entit${n === 1 ? "y" : "ies"} in ${data.n_tokens} tokens (${(data.seconds * 1000).toFixed(1)} ms)`, false);
  } catch (err) {
    setStatus(`request failed: ${err}`, true);
  } finally {
    button.disabled = false;
  }
}

$("tag-form").addEventListener("submit", tag);
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("tag-form").requestSubmit();
});
loadModels().catch((err) => setStatus(`could not list the models: ${err}`, true));
