import { createHash } from 'node:crypto';
import ELK from 'elkjs';
import type { ElkExtendedEdge, ElkNode } from 'elkjs';
import type { Finding } from '../engine/audit';
import type { Rule, Severity } from '../rules/rule';
import { html, jsonForScript, raw, type RawHtml } from './escape';
import { SEVERITY_ORDER, SEVERITY_STYLE, countBy, operationView, ruleTitles, subjectOf } from './html-shared';
import { auditedNothing, isPartial, noFindingsText, outOfScopeSentence, plural, type AuditReport, type ReportExtras } from './report';
import {
  LINK_STATUSES,
  LINK_STYLES,
  buildTopologyView,
  type LinkStatus,
  type TopologyView,
  type ViewLink,
  type ViewNode,
  type ViewOptions,
} from './topology-view';

// `--format html`: one self-contained page (inline CSS, JS and SVG; a Content-Security-Policy
// that forbids every network load) with the summary, the topology drawn, the findings with
// filters, and each finding's fix plan. The graph is laid out by elkjs, in process, at render
// time: hence `renderHtml` is async. Pure: no I/O.

export interface HtmlOptions extends ViewOptions {
  rules: readonly Rule[];
}

// ---------------------------------------------------------------------------------------------
// Layout

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  node: ViewNode;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedGroup {
  id: string;
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedLink {
  link: ViewLink;
  points: Point[];
}

export interface TopologyLayout {
  width: number;
  height: number;
  groups: PlacedGroup[];
  nodes: PlacedNode[];
  links: PlacedLink[];
}

const CHAR_WIDTH = 7.2;
/** A hub's name is larger (14px). */
const HUB_CHAR_WIDTH = 8.1;
/** The group titles' (12px, semibold) widest characters, the digits of a subscription id. */
const GROUP_CHAR_WIDTH = 7.6;
const round = (n: number | undefined) => Math.round((n ?? 0) * 10) / 10;

function nodeSize(node: ViewNode): { width: number; height: number } {
  const chars = Math.max(node.name.length, 12);
  const text = chars * CHAR_WIDTH + 24;
  // A hub's name is drawn larger: its box is sized for that, so that a name that fits is not shortened.
  if (node.hub) return { width: Math.min(Math.max(chars * HUB_CHAR_WIDTH + 24, 160), 300) + node.badges.length * 8, height: 64 };
  if (node.kind === 'collapsed') return { width: Math.min(Math.max(text, 150), 260), height: 40 };
  return { width: Math.min(Math.max(text, 110), 260), height: 40 };
}

function groupTitle(view: TopologyView, id: string): string {
  const g = view.groups.find((x) => x.id === id);
  if (!g) return '';
  return g.kind === 'subscription' ? `Subscription ${g.label}` : g.kind === 'region' ? `Region ${g.label}` : g.label;
}

/**
 * Greedy colouring: in `order`, each id takes the lowest colour none of its neighbours has yet.
 * Ids that are neighbours never share a colour.
 */
function greedyColours(order: readonly string[], neighbours: ReadonlyMap<string, ReadonlySet<string>>): Map<string, number> {
  const colour = new Map<string, number>();
  for (const id of order) {
    const taken = new Set([...(neighbours.get(id) ?? [])].map((n) => colour.get(n)));
    let c = 0;
    while (taken.has(c)) c += 1;
    colour.set(id, c);
  }
  return colour;
}

/**
 * Which way each link runs for the layout. ELK's layered algorithm puts the two ends of every edge
 * in different layers, the target's after the source's: spokes peered to their neighbours, each link
 * running in key order, made a chain of as many layers as spokes, a drawing thousands of pixels
 * wide (15,000 for 100 VNets) and unreadable at any zoom. Instead each link runs from the lower
 * colour of a greedy colouring (hubs and the most linked first) to the higher: as many layers as
 * colours, three to five for a meshed hub and spoke. The groups are laid out as nodes of their own
 * (a link between groups runs between them), so a link between two groups runs by the colours of
 * the groups (those with hubs first): groups side by side in few columns, not in a chain.
 */
function layoutEdges(view: TopologyView): ElkExtendedEdge[] {
  const groupOf = new Map(view.nodes.map((n) => [n.id, n.groupId]));
  const nodePeers = new Map<string, Set<string>>();
  const groupPeers = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, a: string, b: string) => {
    map.set(a, (map.get(a) ?? new Set()).add(b));
    map.set(b, (map.get(b) ?? new Set()).add(a));
  };
  for (const l of view.links) {
    add(nodePeers, l.source, l.target);
    const [a, b] = [groupOf.get(l.source) ?? '', groupOf.get(l.target) ?? ''];
    if (a !== b) add(groupPeers, a, b);
  }
  const byRank = <T>(items: readonly T[], id: (item: T) => string, hub: (item: T) => boolean, peers: Map<string, Set<string>>) =>
    items
      .map((item, index) => ({ id: id(item), hub: hub(item), degree: peers.get(id(item))?.size ?? 0, index }))
      .sort((x, y) => Number(y.hub) - Number(x.hub) || y.degree - x.degree || x.index - y.index)
      .map((x) => x.id);
  const hubGroups = new Set(view.nodes.filter((n) => n.hub).map((n) => n.groupId));
  const nodeColour = greedyColours(byRank(view.nodes, (n) => n.id, (n) => n.hub, nodePeers), nodePeers);
  const groupColour = greedyColours(byRank(view.groups, (g) => g.id, (g) => hubGroups.has(g.id), groupPeers), groupPeers);
  return view.links.map((l): ElkExtendedEdge => {
    const [a, b] = [groupOf.get(l.source) ?? '', groupOf.get(l.target) ?? ''];
    const colour = a === b ? (id: string) => nodeColour.get(id) ?? 0 : (id: string) => groupColour.get(groupOf.get(id) ?? '') ?? 0;
    const forward = colour(l.source) <= colour(l.target);
    return { id: l.id, sources: [forward ? l.source : l.target], targets: [forward ? l.target : l.source] };
  });
}

/** Lays the view out with ELK's layered algorithm: groups as compound nodes, links across them. */
export async function layoutTopology(view: TopologyView): Promise<TopologyLayout> {
  const elk = new ELK();
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'POLYLINE',
      'elk.spacing.nodeNode': '14',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.spacing.edgeNode': '14',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
      'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.randomSeed': '1',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
    },
    children: view.groups.map((g) => ({
      id: g.id,
      layoutOptions: {
        'elk.padding': '[top=34,left=14,bottom=14,right=14]',
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(groupTitle(view, g.id).length * GROUP_CHAR_WIDTH + 28)}, 60)`,
        'elk.nodeLabels.placement': 'INSIDE V_TOP H_LEFT',
      },
      children: view.nodes.filter((n) => n.groupId === g.id).map((n) => ({ id: n.id, ...nodeSize(n) })),
    })),
    edges: layoutEdges(view),
  };
  const laid = await elk.layout(graph);
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const linkById = new Map(view.links.map((l) => [l.id, l]));
  const groups: PlacedGroup[] = [];
  const nodes: PlacedNode[] = [];
  for (const g of laid.children ?? []) {
    groups.push({ id: g.id, label: groupTitle(view, g.id), x: round(g.x), y: round(g.y), width: round(g.width), height: round(g.height) });
    for (const n of g.children ?? []) {
      nodes.push({ node: byId.get(n.id) as ViewNode, x: round(n.x), y: round(n.y), width: round(n.width), height: round(n.height) });
    }
  }
  const edges: ElkExtendedEdge[] = [...(laid.edges ?? []), ...(laid.children ?? []).flatMap((g) => g.edges ?? [])];
  const links: PlacedLink[] = edges
    .map((e) => {
      const points = (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
      return { link: linkById.get(e.id) as ViewLink, points: points.map((p) => ({ x: round(p.x), y: round(p.y) })) };
    })
    .sort((a, b) => view.links.indexOf(a.link) - view.links.indexOf(b.link));
  return { width: round(laid.width), height: round(laid.height), groups, nodes, links };
}

// ---------------------------------------------------------------------------------------------
// SVG

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A name in at most `max` characters: a longer one keeps its start and its end around an ellipsis
 * (`vnet-prod-westeu…payments-spoke-017`), since names in an estate usually differ at the end. The
 * full name is in the node's tooltip. Applied to the text, before it is escaped.
 */
function shortenMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const keep = Math.max(max - 1, 2);
  const head = Math.floor(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

function linkTitle(link: ViewLink, nodes: Map<string, ViewNode>): string {
  const a = nodes.get(link.source)?.name ?? '';
  const b = nodes.get(link.target)?.name ?? '';
  const lines = [`${a} ↔ ${b}: ${LINK_STYLES[link.status].label}${link.count > 1 ? ` (${link.count} links)` : ''}`];
  for (const p of link.peerings) lines.push(`peering "${p.name}" on ${p.from}: ${p.state ?? 'state unknown'}${p.useRemoteGateways ? ', uses remote gateways' : ''}${p.allowGatewayTransit ? ', offers gateway transit' : ''}`);
  if (link.peerings.length === 1 && link.status !== 'out-of-scope') lines.push('no peering back');
  for (const f of link.findings) lines.push(`${f.severity} ${f.ruleId}: ${f.message}`);
  return lines.join('\n');
}

function nodeTitle(node: ViewNode): string {
  const lines = [node.name];
  if (node.kind === 'collapsed') {
    lines.push(...(node.members ?? []).map((m) => `  ${m.name}`));
    return lines.join('\n');
  }
  lines.push(node.resourceId);
  if (node.external === 'missing') lines.push('missing: its subscription was read but the VNet was not found');
  if (node.external === 'out-of-scope') lines.push('out of scope: its subscription was not read');
  for (const b of node.badges) lines.push(b.title);
  for (const f of node.findings) lines.push(`${f.severity} ${f.ruleId}: ${f.message}`);
  return lines.join('\n');
}

function pathOf(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x} ${p.y}`).join(' ');
}

export function renderTopologySvg(view: TopologyView, layout: TopologyLayout): string {
  const nodes = new Map(view.nodes.map((n) => [n.id, n]));
  const groups = layout.groups.map(
    (g) => html`<g class="group" data-group="${g.id}"><rect x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" rx="10"/><text x="${g.x + 12}" y="${g.y + 21}">${shortenMiddle(g.label, Math.max(12, Math.floor((g.width - 24) / GROUP_CHAR_WIDTH)))}</text><title>${g.label}</title></g>`,
  );
  // Healthy links first, broken ones last: broken links are drawn on top.
  const order = (l: PlacedLink) => -LINK_STATUSES.indexOf(l.link.status);
  const links = [...layout.links]
    .sort((a, b) => order(a) - order(b))
    .map((pl) => {
      const style = LINK_STYLES[pl.link.status];
      const d = pathOf(pl.points);
      const mid = pl.points[Math.floor(pl.points.length / 2)];
      const first = pl.link.findings[0];
      const body = html`<path class="halo" d="${d}"/><path class="link" d="${d}" stroke="${style.colour}" stroke-width="${style.width}" stroke-dasharray="${style.dash || raw('none')}"/>${
        style.core ? html`<path class="core" d="${d}" stroke="${style.core}" stroke-width="${style.width / 3}"/>` : ''
      }${
        pl.link.count > 1 && mid ? html`<text class="count" x="${mid.x + 6}" y="${mid.y}">×${pl.link.count}</text>` : ''
      }<title>${linkTitle(pl.link, nodes)}</title>`;
      const attrs = html`class="edge s-${pl.link.status}${pl.link.broken ? ' broken' : ''}" data-link="${pl.link.id}" data-status="${pl.link.status}" data-source="${nodes.get(pl.link.source)?.name}" data-target="${nodes.get(pl.link.target)?.name}"`;
      return first
        ? html`<a href="#f-${first.fingerprint}" ${attrs}>${body}</a>`
        : html`<g ${attrs}>${body}</g>`;
    });
  const placed = layout.nodes.map((p) => {
    const n = p.node;
    const cls = ['node', n.kind, n.hub ? 'hub' : '', n.external ?? '', n.worstSeverity ? `sev-${n.worstSeverity}` : ''].filter(Boolean).join(' ');
    const maxChars = Math.floor((p.width - 20) / (n.hub ? HUB_CHAR_WIDTH : CHAR_WIDTH));
    const label = shortenMiddle(n.name, maxChars);
    // A shortened name fills the box: drawn to its width exactly, whatever the font's widths.
    const fitted = label === n.name ? '' : html` textLength="${p.width - 20}" lengthAdjust="spacingAndGlyphs"`;
    const sub = n.kind === 'collapsed' ? 'healthy, collapsed' : n.external === 'missing' ? 'missing VNet' : n.external === 'out-of-scope' ? 'not read' : [n.location, n.hub ? 'hub' : ''].filter(Boolean).join(' · ');
    const badges = n.badges.map(
      (b, i) => html`<g class="badge b-${b.code}"><rect x="${10 + i * 38}" y="${p.height - 22}" width="34" height="16" rx="8"/><text x="${27 + i * 38}" y="${p.height - 10}">${b.code}</text><title>${b.title}</title></g>`,
    );
    const marker = n.worstSeverity
      ? html`<g class="marker sev-${n.worstSeverity}"><circle cx="${p.width}" cy="0" r="9"/><text x="${p.width}" y="4">${n.findings.length}</text></g>`
      : '';
    return html`<g class="${cls}" data-node="${n.id}" data-name="${n.name}" data-key="${n.key}" transform="translate(${p.x} ${p.y})"><rect class="box" width="${p.width}" height="${p.height}" rx="${n.kind === 'collapsed' ? 20 : 6}"/><text class="name" x="10" y="${n.hub ? 20 : 17}"${fitted}>${label}</text><text class="sub" x="10" y="${n.hub ? 35 : 32}">${truncate(sub, maxChars + 4)}</text>${badges}${marker}<title>${nodeTitle(n)}</title></g>`;
  });
  const w = Math.max(layout.width, 200);
  const h = Math.max(layout.height, 80);
  return html`<svg xmlns="http://www.w3.org/2000/svg" id="topology" role="img" aria-labelledby="topology-title" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"><title id="topology-title">Peering topology: ${view.nodes.length} nodes, ${view.links.length} links</title><g class="groups">${groups}</g><g class="links">${links}</g><g class="nodes">${placed}</g></svg>`.value;
}

// ---------------------------------------------------------------------------------------------
// Page

const CSS = `
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#d8dde6;--bg:#f5f7fa;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#14213d;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#c9d3e6;font-size:13px}
main{padding:18px 28px 40px;max-width:1600px;margin:0 auto}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:0 0 18px}
h2{font-size:16px;margin:0 0 12px}
.banner{border-radius:8px;padding:12px 16px;margin:0 0 18px;font-weight:600}
.banner.partial{background:#fff3cd;border:2px solid #e0a800;color:#6b4e00}
.banner.partial ul{margin:6px 0 0;font-weight:400}
.banner.clean{background:#e8f5e9;border:1px solid #81c784;color:#1b5e20}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}
.card span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.error b{color:#b71c1c}.card.warning b{color:#8a5300}.card.info b{color:#01579b}
.coverage{margin-top:12px;color:var(--muted);font-size:13px}
.coverage code{color:var(--fg)}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 10px;padding:0;list-style:none;font-size:12.5px}
.legend li{display:flex;align-items:center;gap:6px}
.legend svg{flex:none}
.legend .meaning{color:var(--muted)}
.toolbar{display:flex;gap:10px;align-items:center;margin:0 0 8px;font-size:13px;color:var(--muted)}
button{font:inherit;border:1px solid var(--line);background:#fff;border-radius:6px;padding:4px 10px;cursor:pointer}
button:hover{background:#eef2f8}
.canvas{overflow:auto;border:1px solid var(--line);border-radius:8px;background:#fbfcfe}
.canvas.fit svg{max-width:100%;height:auto}
.canvas:not(.fit){max-height:85vh}
#topology{display:block;font-family:inherit}
#topology .group rect{fill:#eef3fb;stroke:#b8c6dd;stroke-width:1}
#topology .group text{font-size:12px;font-weight:600;fill:#3b4c6b}
#topology .halo{fill:none;stroke:#fbfcfe;stroke-width:7;stroke-linecap:round}
#topology .link,#topology .core{fill:none;stroke-linecap:round}
#topology .edge.broken .link{filter:drop-shadow(0 0 1px rgba(0,0,0,.25))}
#topology a.edge:hover .link{stroke-width:5}
#topology .count{font-size:11px;font-weight:700;fill:#2e7d32}
#topology .node .box{fill:#fff;stroke:#6b7a90;stroke-width:1.2}
#topology .node.hub .box{fill:#e3ecfa;stroke:#14213d;stroke-width:2.6}
#topology .node.collapsed .box{fill:#e8f5e9;stroke:#2e7d32;stroke-dasharray:4 3}
#topology .node.external .box{fill:#f4f4f4;stroke:#78909c;stroke-dasharray:5 4}
#topology .node.missing .box{fill:#fdecea;stroke:#c62828}
#topology .node.sev-error .box{stroke:#c62828}
#topology .node .name{font-size:12.5px;font-weight:600;fill:#1d2330}
#topology .node.hub .name{font-size:14px}
#topology .node .sub{font-size:11px;fill:#5f6b7a}
#topology .badge rect{fill:#14213d}
#topology .badge.b-FW rect{fill:#b23c17}
#topology .badge.b-NVA rect{fill:#6a1b9a}
#topology .badge.b-ER rect{fill:#00695c}
#topology .badge text{font-size:10px;font-weight:700;fill:#fff;text-anchor:middle}
#topology .marker circle{stroke:#fff;stroke-width:1.5}
#topology .marker.sev-error circle{fill:#c62828}#topology .marker.sev-warning circle{fill:#b26a00}#topology .marker.sev-info circle{fill:#0277bd}
#topology .marker text{font-size:10px;font-weight:700;fill:#fff;text-anchor:middle}
.filters{display:flex;flex-wrap:wrap;gap:8px 18px;align-items:center;margin:0 0 12px;font-size:13px}
.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:10px;align-items:center}
.filters legend{float:left;margin-right:6px;color:var(--muted)}
.filters select{font:inherit;padding:3px 6px}
table{border-collapse:collapse;width:100%;table-layout:fixed}
col.c-sev{width:100px}col.c-rule{width:190px}col.c-res{width:24%}col.c-fix{width:30%}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-top:1px solid var(--line)}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-top:0}
.sev{white-space:nowrap;display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600}
.sev.error{background:#fdecea;color:#b71c1c}.sev.warning{background:#fff4e0;color:#8a5300}.sev.info{background:#e6f3fb;color:#01579b}
.rid{display:block;color:var(--muted);font:11.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
details summary{cursor:pointer;color:#1a4fa3}
.destructive{color:#b71c1c;font-weight:600}
.op{margin:8px 0 0;border-left:3px solid #b8c6dd;padding-left:10px}
.op .method{font-weight:700}
.op pre{background:#f4f6fa;border-radius:6px;padding:8px;overflow:auto;max-height:320px;margin:6px 0 0;white-space:pre-wrap;word-break:break-all}
td{overflow-wrap:anywhere}
.empty{color:var(--muted)}
tr.finding:target{background:#fff8d6}
`;

const SCRIPT = `(function(){
var rows=[].slice.call(document.querySelectorAll('#findings tbody tr.finding'));
var sev=[].slice.call(document.querySelectorAll('input[name="severity"]'));
var rule=document.getElementById('rule-filter');
var shown=document.getElementById('shown-count');
function apply(){var on={};sev.forEach(function(c){on[c.value]=c.checked});var r=rule?rule.value:'';var n=0;
rows.forEach(function(tr){var v=!!on[tr.getAttribute('data-severity')]&&(r===''||tr.getAttribute('data-rule')===r);tr.hidden=!v;if(v)n++});
if(shown)shown.textContent=String(n)}
sev.forEach(function(c){c.addEventListener('change',apply)});if(rule)rule.addEventListener('change',apply);
var fit=document.getElementById('fit-toggle'),canvas=document.getElementById('canvas');
if(fit&&canvas)fit.addEventListener('click',function(){var f=canvas.classList.toggle('fit');fit.textContent=f?'Actual size':'Fit to width'});
apply()})();`;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** The page's policy: nothing but its own inline style and script (by hash) and data: images. */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${sha256(CSS)}'`,
    `script-src 'sha256-${sha256(SCRIPT)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function legendSwatch(status: LinkStatus): RawHtml {
  const st = LINK_STYLES[status];
  const line = (colour: string, width: number, dash: string) =>
    html`<line x1="2" y1="6" x2="44" y2="6" stroke="${colour}" stroke-width="${width}" stroke-dasharray="${dash || raw('none')}" stroke-linecap="round"/>`;
  return html`<svg width="46" height="12" aria-hidden="true">${line(st.colour, st.width, st.dash)}${st.core ? line(st.core, st.width / 3, '') : ''}</svg>`;
}

function renderLegend(): RawHtml {
  const links = LINK_STATUSES.map((s) => {
    const st = LINK_STYLES[s];
    return html`<li data-status="${s}">${legendSwatch(s)}<b>${st.label}</b> <span class="meaning">${st.meaning}</span></li>`;
  });
  const nodeKey = (cls: string, label: string, box: RawHtml) => html`<li class="${cls}">${box}<b>${label}</b></li>`;
  const box = (fill: string, stroke: string, w: number, dash = '') =>
    html`<svg width="30" height="18" aria-hidden="true"><rect x="1.5" y="1.5" width="27" height="15" rx="3" fill="${fill}" stroke="${stroke}" stroke-width="${w}" stroke-dasharray="${dash || raw('none')}"/></svg>`;
  return html`<ul class="legend" id="legend">${links}
${nodeKey('k-hub', 'Hub (badges: GW VPN gateway, ER ExpressRoute, RS Route Server, FW firewall, NVA appliance)', box('#e3ecfa', '#14213d', 2.6))}
${nodeKey('k-vnet', 'VNet', box('#fff', '#6b7a90', 1.2))}
${nodeKey('k-missing', 'Missing remote VNet', box('#fdecea', '#c62828', 1.2, '5 4'))}
${nodeKey('k-external', 'Remote not read', box('#f4f4f4', '#78909c', 1.2, '5 4'))}
${nodeKey('k-collapsed', 'Healthy spokes, collapsed', box('#e8f5e9', '#2e7d32', 1.2, '4 3'))}</ul>`;
}

function renderSummary(report: AuditReport, extras: ReportExtras): RawHtml {
  const { summary, coverage } = report;
  const counts = summary.findings;
  const unverified = outOfScopeSentence(coverage);
  const partial = isPartial(report)
    ? html`<div class="banner partial" id="partial-banner" role="alert">PARTIAL AUDIT: ${coverage.unreadable.length} scope(s) could not be read; findings there are unknown.<ul>${coverage.unreadable.map(
        (u) => html`<li><code>${u.scope}</code>: ${u.reason}</li>`,
      )}</ul></div>`
    : counts.error + counts.warning + counts.info === 0
      ? html`<div class="banner ${auditedNothing(report) ? 'partial' : 'clean'}">${noFindingsText(report)}</div>`
      : '';
  const card = (value: number, label: string, cls = '') => html`<div class="card ${cls}"><b>${value}</b><span>${label}</span></div>`;
  return html`${partial}<section id="summary"><h2>Summary</h2><div class="cards">${card(summary.vnets, 'VNets')}${card(summary.peerings, 'Peerings')}${card(
    coverage.subscriptions.length,
    'Subscriptions',
  )}${SEVERITY_ORDER.map((s) => card(counts[s], `${SEVERITY_STYLE[s].label}s`, s))}${card(extras.suppressed.length, 'Suppressed')}</div>
<div class="coverage">Subscriptions read: ${coverage.subscriptions.length === 0 ? 'none' : coverage.subscriptions.map((s, i) => html`${i > 0 ? ', ' : ''}<code>${s}</code>`)}.${
    unverified ? html` ${unverified} Their subscriptions: ${[...new Set(coverage.outOfScope.map((o) => o.subscription))].map((sub, i) => html`${i > 0 ? ', ' : ''}<code>${sub}</code>`)}.` : ''
  }${
    extras.notices.length > 0 ? html`<ul>${extras.notices.map((n) => html`<li>${n.message}</li>`)}</ul>` : ''
  }</div></section>`;
}

/** A finding's fix plan: description, then each ARM operation with method, resource id and body. */
export function renderFixPlan(finding: Finding): RawHtml {
  if (!finding.fix) return html`<span class="empty">no automatic fix</span>`;
  const fix = finding.fix;
  const ops = fix.operations.map((op) => {
    const v = operationView(op);
    return html`<div class="op"><span class="method">${v.method}</span> <code class="rid">${v.resourceId}${v.query}</code>${v.body === undefined ? '' : html`<pre>${v.body}</pre>`}</div>`;
  });
  return html`<details><summary>${fix.destructive ? html`<span class="destructive">Destructive fix</span>` : 'Fix'} · ${fix.operations.length} operation${fix.operations.length === 1 ? '' : 's'}</summary><p>${fix.description}</p>${ops}</details>`;
}

function renderFindings(report: AuditReport, rules: readonly Rule[]): RawHtml {
  const meta = ruleTitles(rules);
  const bySeverity = countBy(report.findings, (f) => f.severity);
  const byRule = countBy(report.findings, (f) => f.ruleId);
  const ruleIds = [...byRule.keys()].sort();
  const filters = html`<div class="filters"><fieldset id="severity-filter"><legend>Severity</legend>${SEVERITY_ORDER.map(
    (s: Severity) => html`<label><input type="checkbox" name="severity" value="${s}" checked> ${SEVERITY_STYLE[s].label} (${bySeverity.get(s) ?? 0})</label>`,
  )}</fieldset><label>Rule <select id="rule-filter"><option value="">All rules (${report.findings.length})</option>${ruleIds.map(
    (id) => html`<option value="${id}">${id} (${byRule.get(id)})</option>`,
  )}</select></label><span>Showing <b id="shown-count">${report.findings.length}</b> of ${report.findings.length}</span></div>`;
  const rows = report.findings.map(
    (f) => html`<tr class="finding" id="f-${f.fingerprint}" data-severity="${f.severity}" data-rule="${f.ruleId}"><td><span class="sev ${f.severity}">${SEVERITY_STYLE[f.severity].label}</span></td><td><code>${f.ruleId}</code>${
      meta.get(f.ruleId) ? html`<span class="rid">${meta.get(f.ruleId)?.title}</span>` : ''
    }</td><td>${subjectOf(f.resourceId)}<span class="rid">${f.resourceId}</span></td><td class="msg">${f.message}</td><td>${renderFixPlan(f)}</td></tr>`,
  );
  return html`<section id="findings"><h2>Findings</h2>${
    report.findings.length === 0
      ? html`<p class="empty">No findings.</p>`
      : html`${filters}<table><colgroup><col class="c-sev"><col class="c-rule"><col class="c-res"><col class="c-msg"><col class="c-fix"></colgroup><thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Finding</th><th>Fix plan</th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>`;
}

/**
 * The most nodes and links the page draws (after healthy spokes collapse). elkjs lays the graph out
 * in this process, blocking it, and its layered layout grows far faster than the graph: measured on
 * the 2-core bench machine, 2.5 s for 100 VNets with 250 links, 11 s for 300 with 730, over 100 s
 * for 1,000 with meshed spokes. The scheduled report (stored before it is mailed, within
 * functionTimeout) and the HTTP function (answered within 230 s) wait for it. Above either limit the
 * page says so instead; the findings table still lists every broken link.
 */
export const DRAWING_LIMIT = { nodes: 150, links: 300 } as const;

async function renderTopologySection(report: AuditReport, extras: ReportExtras, options: ViewOptions): Promise<RawHtml> {
  if (!extras.topology) return html`<section id="topology-section"><h2>Topology</h2><p class="empty">The topology is not available for this report.</p></section>`;
  const view = buildTopologyView(extras.topology, report.findings, options);
  if (view.nodes.length > DRAWING_LIMIT.nodes || view.links.length > DRAWING_LIMIT.links) {
    return html`<section id="topology-section"><h2>Topology</h2><p class="empty">Not drawn: with healthy spokes collapsed, the topology has ${plural(view.nodes.length, 'node')} and ${plural(view.links.length, 'link')}, more than the ${DRAWING_LIMIT.nodes} nodes and ${DRAWING_LIMIT.links} links this page draws (laying out a larger graph takes minutes). The findings below list every broken link; a report of fewer VNets (one subscription's export, say) draws its topology.</p></section>`;
  }
  const layout = await layoutTopology(view);
  const broken = view.links.filter((l) => l.broken).length;
  return html`<section id="topology-section"><h2>Topology</h2>${renderLegend()}<div class="toolbar"><button type="button" id="fit-toggle">Actual size</button><span>${view.nodes.length} nodes, ${view.links.length} links, ${broken} broken${
    view.collapsedSpokes > 0 ? `, ${view.collapsedSpokes} healthy spokes collapsed` : ''
  } · grouped by ${view.groupBy} · hover for details, click a broken link for its finding</span></div><div class="canvas fit" id="canvas">${raw(renderTopologySvg(view, layout))}</div></section>`;
}

/** The whole page. Awaits the graph layout. */
export async function renderHtml(report: AuditReport, extras: ReportExtras, options: HtmlOptions): Promise<string> {
  const { rules, ...viewOptions } = options;
  const topology = await renderTopologySection(report, extras, viewOptions);
  const title = `peerguard report · ${report.generatedAt}`;
  return `<!DOCTYPE html>
${html`<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw(CSS)}</style></head><body>
<header><h1>peerguard report</h1><p>${report.tool.name} ${report.tool.version} · generated ${report.generatedAt} · ${plural(report.summary.vnets, 'VNet')}, ${plural(report.summary.peerings, 'peering')}</p></header>
<main>${renderSummary(report, extras)}${topology}${renderFindings(report, rules)}</main>
<script type="application/json" id="peerguard-report">${raw(jsonForScript(report))}</script>
<script>${raw(SCRIPT)}</script>
</body></html>`}
`;
}
