// The single-page app: routes in the browser (History API), data from /api/... on the same origin (no CORS).
"use strict";

const app = document.getElementById("app");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, attrs);
  node.append(...children);
  return node;
}

function navigate(path) {
  history.pushState({}, "", path);
  render();
}

async function showOrder(id) {
  app.replaceChildren(el("p", {}, `Loading order ${id}…`));
  const response = await fetch(`/api/orders/${encodeURIComponent(id)}`);
  const body = await response.json();
  if (!response.ok) {
    app.replaceChildren(el("p", { className: "error", id: "error" }, body.error || `HTTP ${response.status}`));
    return;
  }
  app.replaceChildren(
    el("section", { className: "order", id: "order" },
      el("h1", {}, `Order ${body.id}`),
      el("p", { id: "status" }, `Status: ${body.status}`),
      el("ul", {}, ...body.items.map((item) => el("li", {}, `${item.quantity} × ${item.name}`)))));
}

function showHome() {
  const links = ["42", "7"].map((id) => {
    const a = el("a", { href: `/orders/${id}` }, `Order ${id}`);
    a.addEventListener("click", (event) => {
      event.preventDefault();
      navigate(`/orders/${id}`);
    });
    return el("li", {}, a);
  });
  app.replaceChildren(el("h1", {}, "Orders"), el("ul", {}, ...links));
}

function render() {
  const match = location.pathname.match(/^\/orders\/([^/]+)$/);
  if (match) {
    showOrder(decodeURIComponent(match[1])).catch((error) => {
      app.replaceChildren(el("p", { className: "error", id: "error" }, String(error)));
    });
  } else {
    showHome();
  }
}

window.addEventListener("popstate", render);
render();
