import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeHtml, html, raw } from "../../../../src/http/portal/html.ts";
import { formatDuration, formatMoney } from "../../../../src/http/portal/views/format.ts";

test("html escapes every interpolation: text, attribute quotes and ampersands", () => {
  const name = `<script>alert("x")</script> & 'friends'`;
  assert.equal(
    html`<p title="${name}">${name}</p>`.value,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</p>',
  );
});

test("html nests fragments without escaping them twice, joins arrays and drops null, undefined and false", () => {
  const items = ["<a>", "b"].map((t) => html`<li>${t}</li>`);
  assert.equal(
    html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value,
    "<ul><li>&lt;a&gt;</li><li>b</li></ul>0",
  );
});

test("raw() is the only way to put unescaped markup in", () => {
  assert.equal(html`${raw("<br>")}${"<br>"}`.value, "<br>&lt;br&gt;");
  assert.equal(escapeHtml("a&b"), "a&amp;b");
});

test("money is shown in the currency's own decimals, durations in minutes and seconds", () => {
  assert.equal(formatMoney(1250, "EUR"), "€12.50");
  assert.equal(formatMoney(500, "JPY"), "¥500");
  assert.equal(formatDuration(65), "1 min 5 s");
  assert.equal(formatDuration(120), "2 min");
  assert.equal(formatDuration(9), "9 s");
});
