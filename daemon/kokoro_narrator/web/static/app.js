// The page's script: the queue from the event stream, steering, uploads, the library and the read-along player.
// Every text from the server goes in through textContent, never as markup: book names are anyone's.
"use strict";

const $ = (selector) => document.querySelector(selector);

// The page key, the credential beside the cookie (docs/web.md): it comes once, in the login redirect's
// fragment, which no server receives, and is kept in this origin's storage, which no other port can read.
// It goes with every request: a header on fetches, `k=` on the URLs that cannot carry one.
const KEY = "kokoro-key";
const given = /^#key=([A-Za-z0-9_-]+)$/.exec(location.hash);
if (given) {
  localStorage.setItem(KEY, given[1]);
  history.replaceState(null, "", location.pathname + location.search);  // out of the address bar
}
const pageKey = () => localStorage.getItem(KEY) || "";  // read each time: a login in another tab replaces it
const withKey = (url) => `${url}${url.includes("?") ? "&" : "?"}k=${encodeURIComponent(pageKey())}`;

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function say(text, error = false) {
  const message = $("#message");
  message.textContent = text;
  message.classList.toggle("error", error);
}

async function call(method, url, body, type = "application/json") {
  const options = { method, credentials: "same-origin", headers: { "x-kokoro-key": pageKey() } };
  if (body !== undefined) {
    options.body = type === "application/json" ? JSON.stringify(body) : body;
    options.headers["content-type"] = type;
  }
  const response = await fetch(url, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = { message: `${response.status} ${response.statusText}` }; }
  if (!response.ok) throw new Error(data.message || `${response.status}`);
  return data;
}

function clock(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min ${String(s % 60).padStart(2, "0")} s`;
}

// ------------------------------------------------------------------ the queue

let doneSeen = "";

function renderQueue(data) {
  const state = $("#state");
  state.textContent = data.paused ? "paused" : (data.jobs.some((j) => j.status === "running") ? "making a book" : "idle");
  state.classList.toggle("paused", data.paused);
  $("#pause").hidden = data.paused;
  $("#resume").hidden = !data.paused;
  const body = $("#queue tbody");
  body.replaceChildren(...data.jobs.map(jobRow));
  $("#queue-empty").hidden = data.jobs.length > 0;
  const done = data.jobs.filter((j) => j.published).map((j) => j.id).join(",");
  if (done !== doneSeen) { doneSeen = done; loadBooks(); }
}

function jobRow(job) {
  const where = job.chunks && job.status !== "done" ? `chunk ${job.chunk}/${job.chunks}` + (job.chapter ? ` · ${job.chapter}` : "") : "";
  const progress = element("td", { class: "progress" },
    element("progress", { max: String(job.chars || 1), value: String(job.chars_done), title: `${job.percent}%` }),
    element("span", { text: `${job.percent}%` }));
  if (job.status === "running" && job.chunk_chars) {
    progress.append(element("progress", { class: "chunk", max: String(job.chunk_chars), value: String(job.chunk_chars_done),
      title: `this chunk: ${job.chunk_chars_done} of ${job.chunk_chars} characters` }));
  }
  const voice = job.cast.length ? `${job.voice}; cast: ${job.cast.map((r) => `${r.name} (${r.voice})`).join(", ")}`
    : (job.dialogue_voice ? `${job.voice}; dialogue ${job.dialogue_voice}` : (job.voice || ""));
  const actions = element("td", { class: "actions" });
  const steer = { queued: ["next", "cancel"], running: ["cancel"], waiting: ["cancel"], interrupted: ["next", "cancel"],
                  failed: ["retry", "next"], cancelled: ["retry", "next"] }[job.status] || [];
  for (const action of steer) {
    actions.append(element("button", { type: "button", class: action, text: action, onclick: () => steerJob(action, job.id) }));
  }
  if (["queued", "interrupted", "running", "waiting"].includes(job.status)) {
    actions.append(element("button", { type: "button", class: "preview", text: "preview", onclick: () => preview(job.id) }));
  }
  return element("tr", { "data-job": job.id },
    element("td", {}, element("strong", { text: job.title }), element("br"), element("small", { text: job.name })),
    element("td", { class: "status" }, element("span", { text: job.status }),
      job.error ? element("div", { class: "error", text: job.error }) : null),
    element("td", { text: where }), progress, element("td", { text: job.eta }), element("td", { text: voice }), actions);
}

async function steerJob(action, job) {
  try { say((await call("POST", "/api/steer", { action, job })).message); } catch (e) { say(e.message, true); }
}

function listen() {
  const events = new EventSource(withKey("/api/events"));
  events.addEventListener("queue", (event) => renderQueue(JSON.parse(event.data)));
  events.onerror = () => {
    $("#state").textContent = "reconnecting…";
    // Refused (a 401: the key changed with a login elsewhere), EventSource gives up: open it anew, with the key now kept.
    if (events.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
  };
}

// ------------------------------------------------------------------ adding a book, previews

async function upload(event) {
  event.preventDefault();
  const file = $("#upload-file").files[0];
  if (!file) return;
  say(`uploading ${file.name}…`);
  try {
    const data = await call("PUT", `/api/upload?name=${encodeURIComponent(file.name)}`, file, "application/octet-stream");
    say(data.message);
    $("#upload").reset();
  } catch (e) { say(e.message, true); }
}

async function preview(id) {
  try {
    const data = await call("GET", `/api/jobs/${encodeURIComponent(id)}/preview`);
    $("#preview-title").textContent = data.name;
    const voices = data.voices || {};
    const cast = (voices.cast || []).map((r) => `${r.name}: ${r.voice}`).join(", ");
    $("#preview-voices").textContent = `narrator ${voices.narrator || "?"}` +
      (voices.dialogue ? `, dialogue ${voices.dialogue}` : "") + (cast ? `; cast: ${cast}` : "");
    const text = $("#preview-text");
    text.replaceChildren();
    data.chapters.forEach((chapter) => {
      text.append(element("h3", { text: `chapter ${chapter.index}: ${chapter.title}` }));
      chapter.chunks.forEach((chunk, n) => text.append(element("p", { text: chunk })));
    });
    $("#preview").hidden = false;
  } catch (e) { say(e.message, true); }
}

// ------------------------------------------------------------------ the library and the player

async function loadBooks() {
  try {
    const data = await call("GET", "/api/books");
    $("#books").replaceChildren(...data.books.map(bookItem));
    $("#books-empty").hidden = data.books.length > 0;
  } catch (e) { say(e.message, true); }
}

function bookItem(book) {
  const downloads = element("div", { class: "downloads" },
    ...book.downloads.map((fmt) => element("a", { href: withKey(`/files/${encodeURIComponent(book.id)}/${fmt}?download=1`), text: fmt })));
  return element("li", { "data-book": book.id },
    book.cover ? element("img", { src: withKey(`/files/${encodeURIComponent(book.id)}/cover`), alt: "" }) : element("img", { alt: "" }),
    element("div", { class: "meta" }, element("strong", { text: book.title }),
      element("div", { text: [book.authors.join(", "), clock(book.seconds), `${book.chapters.length} chapters`].filter(Boolean).join(" · ") }),
      downloads, element("button", { type: "button", class: "play", text: "Play", onclick: () => openBook(book) })));
}

const player = { book: null, chapter: null, sentences: [], current: null, loading: null };

function openBook(book) {
  const audio = $("#audio");
  const playable = book.audio.find((a) => audio.canPlayType(a.type)) || book.audio[book.audio.length - 1];
  player.book = book;
  player.chapter = null;
  player.sentences = [];
  player.current = null;
  $("#player-title").textContent = book.title;
  audio.src = withKey(`/files/${encodeURIComponent(book.id)}/${playable.format}`);
  $("#chapters").replaceChildren(...book.chapters.map((chapter) => element("li", { "data-chapter": String(chapter.index) },
    element("button", { type: "button", text: chapter.title || `Chapter ${chapter.index}`, onclick: () => seek(chapter.start || 0) }))));
  $("#text").replaceChildren(element("p", { text: book.timings ? "" : "This book has no timings: no text to follow." }));
  $("#player").hidden = false;
  follow();
}

function seek(seconds) {
  const audio = $("#audio");
  audio.currentTime = seconds;
  audio.play().catch(() => {});
  follow();
}

function chapterAt(seconds) {
  const chapters = player.book.chapters;
  let found = chapters[0];
  for (const chapter of chapters) if (chapter.start <= seconds) found = chapter;
  return found;
}

async function loadChapter(index) {
  player.loading = index;
  try {
    const data = await call("GET", `/api/books/${encodeURIComponent(player.book.id)}/chapters/${index}`);
    if (player.loading !== index) return;
    player.chapter = index;
    player.sentences = data.sentences;
    player.current = null;
    $("#text").replaceChildren(element("h3", { text: data.title }), ...data.sentences.map((s) =>
      element("span", { class: "sentence", id: `s-${s.id}`, "data-start": String(s.start), "data-end": String(s.end),
        text: s.text + " ", onclick: () => seek(s.start) })));
  } catch (e) { say(e.message, true); }
  follow();
}

// Called on every timeupdate: the chapter in view follows the audio, and so does the highlighted sentence.
function follow() {
  const book = player.book;
  if (!book) return;
  const t = $("#audio").currentTime;
  const chapter = book.chapters.length ? chapterAt(t) : null;
  for (const item of $("#chapters").children) item.classList.toggle("current", chapter && item.dataset.chapter === String(chapter.index));
  if (!book.timings || !chapter) return;
  if (player.chapter !== chapter.index) {
    if (player.loading !== chapter.index) loadChapter(chapter.index);
    return;
  }
  // The last sentence begun: it stays lit through the pause after it, so the highlight never flickers off.
  let sentence = null;
  for (const s of player.sentences) { if (s.start <= t) sentence = s; else break; }
  const id = sentence ? sentence.id : null;
  if (id === player.current) return;
  if (player.current) document.getElementById(`s-${player.current}`)?.classList.remove("current");
  player.current = id;
  if (id) {
    const node = document.getElementById(`s-${id}`);
    node.classList.add("current");
    const pane = $("#text");  // scroll the text pane only: the rest of the page stays where the reader left it
    pane.scrollTo({ top: node.offsetTop - pane.clientHeight / 2, behavior: "smooth" });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#pause").addEventListener("click", () => steerJob("pause"));
  $("#resume").addEventListener("click", () => steerJob("resume"));
  $("#upload").addEventListener("submit", upload);
  $("#preview-close").addEventListener("click", () => { $("#preview").hidden = true; });
  const audio = $("#audio");
  audio.addEventListener("timeupdate", follow);
  audio.addEventListener("seeked", follow);
  call("GET", "/api/queue").then(renderQueue).catch((e) => say(e.message, true));
  listen();
});
