/**
 * The report page's inline style and script (static text: no recorded value is ever put here).
 * The script only filters hosts by outcome; the page reads fine without it.
 */

export const REPORT_CSS = `
:root{--ok:#1a7f37;--failed:#cf222e;--unreach:#9a6700;--int:#8250df;--pend:#6e7781;--bg:#fff;--fg:#1f2328;--mut:#656d76;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:0 24px 24px;max-width:1280px}
h1{font-size:20px;margin:18px 0 10px}
h2{font-size:17px;margin:0 0 6px;display:flex;gap:8px;align-items:center}
h3{font-size:14px;margin:14px 0 6px}
code,samp,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:var(--soft);padding:1px 4px;border-radius:4px;word-break:break-word}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600}
.prov{width:auto;margin-bottom:8px}.prov th{color:var(--mut);font-weight:500;white-space:nowrap;padding-right:16px}
.badge,.chip{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;color:#fff;background:var(--pend);white-space:nowrap}
.o-ok,.s-ok .badge{background:var(--ok)}
.o-failed{background:var(--failed)}
.o-unreachable{background:var(--unreach)}
.o-interrupted,.o-awaiting-approval,.o-running{background:var(--int)}
.o-would-run,.o-ended{background:#0969da}
.o-skipped,.o-restored,.o-pending{background:var(--pend)}
.o-changed,.badge.changed{background:#bc4c00}
.counts{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:6px 0}
.counts .total{font-weight:600;margin-right:4px}
.filter{margin:8px 0 12px;color:var(--mut)}
.filter button{font:inherit;border:1px solid var(--line);background:var(--bg);border-radius:6px;padding:2px 10px;margin-left:4px;cursor:pointer}
.filter button[aria-pressed=true]{background:var(--fg);color:var(--bg);border-color:var(--fg)}
.overview{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin-bottom:16px}
.timeline{margin-top:4px}
.tl-axis{display:flex;justify-content:space-between;color:var(--mut);font-size:12px;margin-left:200px}
.tl-row{display:flex;align-items:center;height:24px}
.tl-row.b1{background:var(--soft)}
.tl-name{width:120px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:var(--fg);text-decoration:none;font-weight:500}
.tl-batch{width:80px;color:var(--mut);font-size:12px}
.tl-track{position:relative;flex:1;height:14px;border-left:1px solid var(--line);border-right:1px solid var(--line)}
.bar{position:absolute;top:0;height:14px;border-radius:3px;min-width:3px}
.bar .mark{position:absolute;top:-3px;width:2px;height:20px;background:#000;opacity:.75}
.never{color:var(--mut);font-size:12px;padding-left:6px}
.legend{color:var(--mut);font-size:12px;margin:6px 0 0}
.host{border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0 0 14px}
.host .facts{color:var(--mut);margin:0 0 6px}
.message{max-height:240px}
.key{color:var(--mut);font-size:11.5px;font-family:ui-monospace,monospace}
.impact{color:var(--mut);font-size:12.5px;margin-top:2px}
.approvals .verdict{font-weight:600;white-space:nowrap}
.v-approved .verdict{color:var(--ok)}.v-declined .verdict,.v-quit .verdict{color:var(--failed)}.v-skipped .verdict{color:var(--unreach)}
.doubt{color:var(--failed);font-weight:600}
.results{width:auto;min-width:50%}.results td{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-word}.results .num{text-align:right;font-variant-numeric:tabular-nums}
.rollup{margin-top:4px}.rollup .label{font-weight:600;white-space:nowrap;width:1%}.rollup .may .label{color:var(--unreach)}
.wouldrun{padding-left:18px}.wouldrun li{margin:4px 0}.wouldrun .label{font-weight:600}.wouldrun .may .label{color:var(--unreach)}
details>summary{cursor:pointer;color:#0969da}
.steps>summary{font-weight:600;margin-top:10px}
.step .title{min-width:220px}
.step .dur{white-space:nowrap;color:var(--mut)}
.step.disruptive .title{border-left:3px solid #bc4c00;padding-left:6px}
.caps,.cmds,.msg{margin:2px 0}
.msg{white-space:pre-wrap;color:var(--mut)}
.n{color:var(--mut);font-size:12px}
.none,.empty{color:var(--mut)}
footer{color:var(--mut);font-size:12px;margin-top:18px}
@media print{.filter{display:none}details{display:block}}
`;

export const REPORT_JS = `
(function(){
  var buttons = document.querySelectorAll('[data-filter]');
  function show(filter){
    var shown = 0;
    document.querySelectorAll('section.host').forEach(function(s){
      var o = s.getAttribute('data-outcome'), c = s.getAttribute('data-changed') === 'true';
      var ok = filter === 'all' || (filter === 'changed' ? c : o === filter);
      s.hidden = !ok; if (ok) shown++;
    });
    document.querySelectorAll('.tl-row').forEach(function(r){
      var o = r.getAttribute('data-outcome'), c = r.getAttribute('data-changed') === 'true';
      r.hidden = !(filter === 'all' || (filter === 'changed' ? c : o === filter));
    });
    document.querySelector('.empty').hidden = shown > 0;
    buttons.forEach(function(b){ b.setAttribute('aria-pressed', String(b.getAttribute('data-filter') === filter)); });
  }
  buttons.forEach(function(b){ b.addEventListener('click', function(){ show(b.getAttribute('data-filter')); }); });
})();
`;
