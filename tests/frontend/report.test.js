// The resilience report as a reader sees it: `report.html` opened in
// headless Chromium (Debian's, driven by playwright-core). Every chart must
// have drawn (an SVG with a visible size, axes and at least one visible
// line per series it plots), the summary table must come first with the
// best of each column marked, and no legend may sit on the data.
//
// Run by `cargo test` (app/cli/tests/cli.rs) after it writes a report:
//   REPORT_HTML=<dir>/report.html CHROMIUM=/usr/bin/chromium node --test report.test.js

"use strict";

const test = require("node:test");
const assert = require("node:assert");
const path = require("node:path");
const { chromium } = require("playwright-core");

const REPORT = process.env.REPORT_HTML;
const BROWSER = process.env.CHROMIUM || "/usr/bin/chromium";

test("the report draws every chart, summary first, legends off the data", async () => {
  assert.ok(REPORT, "set REPORT_HTML to the report.html to check");
  const browser = await chromium.launch({
    executablePath: BROWSER,
    // As root in a container, with this machine's closed network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto("file://" + path.resolve(REPORT), { waitUntil: "load" });

    const seen = await page.evaluate(() => {
      const summary = document.querySelector("table#summary");
      const firstScenario = [...document.querySelectorAll("h2")].find(
        (h) => h.textContent !== "All scenarios",
      );
      const rows = summary ? [...summary.querySelectorAll("tr")].slice(1) : [];
      const columns = summary ? summary.querySelectorAll("th").length : 0;
      const bestPerColumn = [];
      for (let c = 1; c < columns; c++) {
        bestPerColumn.push(
          rows.filter((r) => r.children[c] && r.children[c].classList.contains("best")).length,
        );
      }
      const policies = rows.map((r) => r.children[0].textContent.trim());
      const charts = [...document.querySelectorAll("svg")].map((svg) => {
        const box = svg.getBoundingClientRect();
        // Series are polylines (axes and grid are lines); a flat series
        // (no bad debt) is a line of no height, still drawn.
        const lines = [...svg.querySelectorAll("polyline")].filter((l) => {
          const r = l.getBoundingClientRect();
          return r.width > 0 || r.height > 0;
        });
        const texts = [...svg.querySelectorAll("text")];
        const caption = texts.length ? texts[0].textContent.trim() : "";
        // The plot's right edge: where the drawn lines end.
        const plotRight = Math.max(...lines.map((l) => l.getBoundingClientRect().right));
        // Legend labels: the series' names (the policies of the summary,
        // or the prices chart's own).
        const names = new Set([
          ...policies,
          "consensus",
          "TWAP",
          "halted",
          ...[0, 1, 2].map((k) => `source ${k}`),
        ]);
        const legend = texts
          .filter((t) => names.has(t.textContent.trim()))
          .map((t) => ({ label: t.textContent.trim(), left: t.getBoundingClientRect().left }));
        return {
          caption,
          width: box.width,
          height: box.height,
          lines: lines.length,
          plotRight,
          legend,
        };
      });
      return {
        summaryBeforeScenarios:
          !!summary &&
          !!firstScenario &&
          !!(summary.compareDocumentPosition(firstScenario) & Node.DOCUMENT_POSITION_FOLLOWING),
        policies,
        bestPerColumn,
        charts,
      };
    });

    assert.deepStrictEqual(errors, [], "the page ran without errors");
    assert.ok(seen.summaryBeforeScenarios, "the summary table opens the report");
    assert.ok(seen.policies.length >= 2, `policies in the summary: ${seen.policies}`);
    for (const [i, n] of seen.bestPerColumn.entries()) {
      // The vault column is '-' everywhere when no scenario has a vault.
      assert.ok(n >= 1 || i === seen.bestPerColumn.length - 1, `column ${i + 1} marks a best`);
    }
    assert.ok(seen.charts.length >= 3, `charts: ${seen.charts.length}`);
    for (const c of seen.charts) {
      assert.ok(c.width > 300 && c.height > 100, `${c.caption}: drawn at ${c.width}x${c.height}`);
      assert.ok(c.lines >= 1, `${c.caption}: no line drawn`);
      assert.ok(c.legend.length >= 1, `${c.caption}: no legend`);
      for (const l of c.legend) {
        assert.ok(l.left > c.plotRight, `${c.caption}: legend '${l.label}' over the data`);
      }
      // A chart per policy draws a line for each policy in the summary.
      if (!/sources/.test(c.caption)) {
        assert.ok(
          c.legend.length >= seen.policies.length && c.lines >= seen.policies.length,
          `${c.caption}: ${c.legend.length} legend entries and ${c.lines} lines for ${seen.policies.length} policies`,
        );
      }
    }
  } finally {
    await browser.close();
  }
});
