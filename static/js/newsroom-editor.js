// The body's rich-text editor: django-prose-editor's ProseMirror/Tiptap build, with the
// newsroom's schema (the same allow-list releases/text.py keeps on the server).
//
// Loaded as a module by releases.forms.RichTextBody. The editor is imported by a relative
// path, so no import map (an inline script) is needed, and Tiptap's own <style> injection is
// off (its few rules are in css/newsroom-editor.css): nothing here needs the Content-Security-
// Policy loosened.
import {
  Blockquote, Bold, BulletList, Document, Dropcursor, Editor, Gapcursor, HardBreak, Heading,
  History, Italic, Link, ListItem, Menu, OrderedList, Paragraph, Text,
} from "../django_prose_editor/editor.js";

const ALLOWED_LINK = /^\s*(https?:|mailto:|tel:)/i;

// Pasted HTML brought to the editor's structure before ProseMirror parses it, the way
// releases/text.py does on the server (which stays the authority: it runs on every save).
const NOISE = [
  "script", "style", "xml", "del", "img", "picture", "svg", "video", "iframe", "object", "title", "meta",
  "[class^=MsoCommentReference]", ".msocomtxt", "[style*='mso-element:comment']", "a[href^='#_msocom']",
  "a[name^='_msocom']",
].join(",");
const TYPED_BULLET = /^[\s\u00a0]*[•·●▪◦‣∙][\s\u00a0]+/;
const NUMBERED = /^\s*(\d{1,3}|[a-zA-Z]|[ivxlcdm]{1,6})[.)]/;

function listKind(paragraph) {
  const marker = paragraph.querySelector("[data-mso-ignore]");
  const isWordItem = marker || paragraph.hasAttribute("data-mso-list") ||
    /MsoListParagraph/i.test(paragraph.className);
  if (isWordItem) {
    const label = marker ? marker.textContent.trim() : "";
    if (marker) marker.remove();
    return NUMBERED.test(label) ? "ol" : "ul";
  }
  return TYPED_BULLET.test(paragraph.textContent) ? "ul" : null;
}

function dropTypedBullet(item) {
  const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.data.trim().replace(/\u00a0/g, "")) {
      node.data = node.data.replace(TYPED_BULLET, "");
      return;
    }
  }
}

export function transformPastedHTML(html) {
  // Styles and event handlers are renamed before parsing: even an inert document reports each
  // one to the Content-Security-Policy, which refuses them (Word's comments carry onmouseover).
  html = html.replace(/<style[\s\S]*?<\/style\s*>/gi, "");
  for (let previous = null; previous !== html;) {
    previous = html;
    html = html
      .replace(/(<[^>]*?\s)style\s*=/gi, "$1data-style=")
      .replace(/(<[^>]*?\s)on([a-z]+\s*=)/gi, "$1data-refused-on$2");
  }
  const doc = new DOMParser().parseFromString(html, "text/html");
  const body = doc.body;
  const walker = doc.createTreeWalker(body, NodeFilter.SHOW_COMMENT);
  const comments = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) comments.push(node);
  comments.forEach((node) => node.remove());
  body.querySelectorAll(NOISE).forEach((node) => node.remove());
  // The page title is the only <h1>; the editor has two levels of headings.
  const shift = body.querySelector("h1") ? 1 : 0;
  body.querySelectorAll("h1, h2, h3, h4, h5, h6").forEach((heading) => {
    const level = Number(heading.tagName[1]) + shift <= 2 ? 2 : 3;
    const replacement = doc.createElement(`h${level}`);
    replacement.append(...heading.childNodes);
    heading.replaceWith(replacement);
  });
  body.querySelectorAll("[data-style*='mso-list']").forEach((node) => {
    node.setAttribute(/mso-list:\s*ignore/i.test(node.getAttribute("data-style")) ? "data-mso-ignore" : "data-mso-list", "");
  });
  // Bold and italic spelled as styles (Google Docs, web pages) become <strong>/<em>; then every
  // style goes (ProseMirror parses the rest into a document the CSP covers).
  body.querySelectorAll("[data-style]").forEach((node) => {
    const style = node.getAttribute("data-style").replace(/\s+/g, "").toLowerCase();
    node.removeAttribute("data-style");
    const tag = node.tagName.toLowerCase();
    if (tag === "b" && (style.includes("font-weight:normal") || node.id.startsWith("docs-internal-guid"))) {
      node.replaceWith(...node.childNodes);  // Google Docs' wrapper round a whole paste isn't bold
      return;
    }
    const wrappers = [];
    if (/font-weight:(bold|[6-9]00)/.test(style) && tag !== "b" && tag !== "strong") wrappers.push("strong");
    if (style.includes("font-style:italic") && tag !== "i" && tag !== "em") wrappers.push("em");
    wrappers.forEach((name) => {
      const wrapper = doc.createElement(name);
      wrapper.append(...node.childNodes);
      node.append(wrapper);
    });
  });
  let list = null;
  [...body.querySelectorAll("p, div")].forEach((paragraph) => {
    if (paragraph.querySelector("p, div")) return;
    const kind = listKind(paragraph);
    if (!kind) {
      list = null;
      return;
    }
    if (!list || list.tagName.toLowerCase() !== kind || list.nextElementSibling !== paragraph) {
      list = doc.createElement(kind);
      paragraph.before(list);
    }
    const item = doc.createElement("li");
    item.append(...paragraph.childNodes);
    dropTypedBullet(item);
    paragraph.remove();
    list.append(item);
  });
  return body.innerHTML;
}

function messageBox(wrapper) {
  const box = document.createElement("p");
  box.className = "nr-editor-message errornote";
  box.setAttribute("role", "alert");
  box.hidden = true;
  wrapper.after(box);
  return box;
}

function createEditor(textarea) {
  if (textarea.closest(".prose-editor")) return null;
  const wrapper = document.createElement("div");
  wrapper.className = "prose-editor nr-editor";
  textarea.before(wrapper);
  wrapper.append(textarea);
  const message = messageBox(wrapper);
  const refused = new Set();

  function refuse(url) {
    refused.add(url);
    message.textContent =
      "This link was not kept: " + [...refused].join(", ") +
      ". Links must start with https://, http://, mailto: or tel:.";
    message.hidden = false;
  }

  const editor = new Editor({
    element: wrapper,
    injectCSS: false,
    editable: !textarea.disabled,
    content: textarea.value,
    editorProps: { transformPastedHTML },
    extensions: [
      Document, Paragraph, Text, HardBreak, History, Dropcursor, Gapcursor,
      Heading.configure({ levels: [2, 3] }),
      Bold, Italic, BulletList, OrderedList, ListItem, Blockquote,
      Link.configure({
        openOnClick: false,
        defaultProtocol: "https",
        HTMLAttributes: { target: null, rel: "noopener noreferrer" },
        isAllowedUri(url, context) {
          if (!url) return false;
          if (ALLOWED_LINK.test(url) && context.defaultValidate(url)) return true;
          refuse(url);
          return false;
        },
      }),
      Menu,
    ],
    onUpdate({ editor }) {
      const html = editor.getHTML();
      textarea.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    },
  });
  editor.view.dom.setAttribute("aria-label", textarea.labels[0]?.textContent.replace(/:$/, "") || "Body");
  editor.view.dom.setAttribute("aria-multiline", "true");
  editor.view.dom.setAttribute("role", "textbox");
  // The editable area is the field now: the textarea behind it stays out of the accessibility tree.
  textarea.hidden = true;
  textarea.setAttribute("aria-hidden", "true");
  textarea.newsroomEditor = editor;
  textarea.dispatchEvent(new CustomEvent("prose-editor:ready", { detail: { editor, textarea }, bubbles: true }));
  return editor;
}

function start() {
  document.querySelectorAll("textarea[data-newsroom-editor]").forEach(createEditor);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
