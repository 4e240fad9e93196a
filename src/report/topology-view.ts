import { pushTo } from '../collections';
import type { Finding } from '../engine/audit';
import { keyOf, nameOf, parseResourceId, subscriptionOf, type ResourceKey } from '../model/ids';
import type { Topology, Vnet } from '../model/types';
import type { Severity } from '../rules/rule';

// What the HTML and email reports draw: VNets as nodes, peerings joined into links (one per VNet
// pair), each link classified from the findings that name its peerings (rule ids and resource
// ids; no rule is re-implemented here). Pure and deterministic: same topology and findings, same
// view, in the same order.

export type LinkStatus = 'disconnected' | 'one-sided' | 'misconfigured' | 'out-of-sync' | 'out-of-scope' | 'gateway-transit' | 'healthy';

/** Worst first: a link with several findings shows the worst. */
export const LINK_STATUSES: readonly LinkStatus[] = [
  'disconnected',
  'one-sided',
  'misconfigured',
  'out-of-sync',
  'out-of-scope',
  'gateway-transit',
  'healthy',
];

export interface LinkStatusStyle {
  label: string;
  /** What the status means, for the legend. */
  meaning: string;
  colour: string;
  /** SVG stroke-dasharray ('' for a solid line). */
  dash: string;
  width: number;
  /** A second, thinner stroke drawn inside the first (a double line), if any. */
  core?: string;
  /** A text symbol for places without colour or drawing (email tables, plain text). */
  symbol: string;
  broken: boolean;
}

/** The one visual vocabulary of link statuses: colour AND line style, used by every HTML renderer. */
export const LINK_STYLES: Record<LinkStatus, LinkStatusStyle> = {
  disconnected: { label: 'Disconnected', meaning: 'a side is Disconnected or the remote VNet is gone', colour: '#c62828', dash: '2 5', width: 3, symbol: '✖', broken: true },
  'one-sided': { label: 'One-sided', meaning: 'only one side exists or is Connected', colour: '#e65100', dash: '10 6', width: 3, symbol: '◐', broken: true },
  misconfigured: { label: 'Misconfigured', meaning: 'other error or warning on the peering (see findings)', colour: '#8e24aa', dash: '14 4 3 4', width: 3, symbol: '⚠', broken: true },
  'out-of-sync': { label: 'Out of sync', meaning: 'address space not synchronised', colour: '#b58900', dash: '6 3', width: 2.5, symbol: '↻', broken: true },
  'out-of-scope': { label: 'Out of scope', meaning: 'remote side not read: cannot be verified', colour: '#78909c', dash: '1 4', width: 2, symbol: '?', broken: false },
  'gateway-transit': { label: 'Gateway transit', meaning: 'healthy, uses the remote gateway (double line)', colour: '#1565c0', dash: '', width: 4.5, core: '#ffffff', symbol: '⇶', broken: false },
  healthy: { label: 'Healthy', meaning: 'both sides Connected, no findings', colour: '#2e7d32', dash: '', width: 1.5, symbol: '✔', broken: false },
};

/** Findings of these rules set a link's status directly; other error/warning findings make it misconfigured. */
const STATUS_OF_RULE: Record<string, LinkStatus> = {
  'peering-disconnected': 'disconnected',
  'peering-remote-vnet-missing': 'disconnected',
  'peering-one-sided': 'one-sided',
  'peering-address-space-out-of-sync': 'out-of-sync',
  'peering-remote-out-of-scope': 'out-of-scope',
};

export type GroupBy = 'subscription' | 'region';

export interface ViewOptions {
  groupBy?: GroupBy;
  /** A hub with more healthy spokes than this shows them as one "N healthy spokes" node. */
  collapseAbove?: number;
}

export const DEFAULT_COLLAPSE_ABOVE = 40;

export interface NodeBadge {
  /** Short text drawn on the node: GW, ER, RS, FW, NVA. */
  code: string;
  title: string;
}

export interface ViewNode {
  /** Stable, markup-safe id (`n0`, `n1`, ... in key order). */
  id: string;
  kind: 'vnet' | 'external' | 'collapsed';
  /** Lower-cased resource id (for collapsed nodes: `<hub key>#healthy-spokes`). */
  key: string;
  /** Resource id as read (external: as the peering names it). */
  resourceId: string;
  name: string;
  subscriptionId: string;
  location: string | undefined;
  groupId: string;
  hub: boolean;
  badges: NodeBadge[];
  /** external only: the remote is in a subscription that was read (so it is missing), or not. */
  external?: 'missing' | 'out-of-scope';
  /** collapsed only: the VNets it stands for. */
  members?: { name: string; resourceId: string }[];
  /** Findings about the VNet itself (not about one of its peerings). */
  findings: Finding[];
  worstSeverity: Severity | undefined;
}

export interface ViewLink {
  id: string;
  /** Node ids, in key order. */
  source: string;
  target: string;
  status: LinkStatus;
  broken: boolean;
  /** The peerings that make this link (one or two), as read. */
  peerings: { id: string; name: string; from: string; state: string | undefined; useRemoteGateways: boolean; allowGatewayTransit: boolean }[];
  findings: Finding[];
  worstSeverity: Severity | undefined;
  /** collapsed links: how many healthy links they stand for. */
  count: number;
}

export interface ViewGroup {
  id: string;
  kind: GroupBy | 'outside';
  /** Subscription id or region name; `not read` for remotes out of scope. */
  label: string;
}

export interface TopologyView {
  groupBy: GroupBy;
  groups: ViewGroup[];
  nodes: ViewNode[];
  links: ViewLink[];
  collapsedSpokes: number;
}

const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'info'];

function worst(findings: readonly Finding[]): Severity | undefined {
  return SEVERITY_ORDER.find((s) => findings.some((f) => f.severity === s));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function badgesOf(vnet: Vnet): NodeBadge[] {
  const badges: NodeBadge[] = [];
  const code = { Vpn: 'GW', ExpressRoute: 'ER', RouteServer: 'RS', Unknown: 'GW' } as const;
  for (const g of [...vnet.gateways].sort((a, b) => compareText(a.key, b.key))) {
    badges.push({ code: code[g.kind as keyof typeof code] ?? 'GW', title: `${g.kind} gateway ${g.name}${g.sku ? ` (${g.sku})` : ''}` });
  }
  for (const a of [...vnet.appliances].sort((x, y) => compareText(x.key, y.key))) {
    badges.push(a.kind === 'AzureFirewall' ? { code: 'FW', title: `Azure Firewall ${a.name}` } : { code: 'NVA', title: `Network virtual appliance ${a.name}` });
  }
  return badges;
}

/** Builds the view; `findings` are the report's (suppressed findings are not shown as problems). */
export function buildTopologyView(topology: Topology, findings: readonly Finding[], options: ViewOptions = {}): TopologyView {
  const groupBy = options.groupBy ?? 'subscription';
  const collapseAbove = options.collapseAbove ?? DEFAULT_COLLAPSE_ABOVE;

  // Nodes: every VNet read, plus every remote a peering names that was not read.
  interface Draft {
    key: ResourceKey;
    vnet: Vnet | undefined;
    resourceId: string;
  }
  const drafts = new Map<ResourceKey, Draft>();
  for (const v of topology.vnets.values()) drafts.set(v.key, { key: v.key, vnet: v, resourceId: v.id });
  for (const p of topology.peerings.values()) {
    if (!drafts.has(p.remoteVnetKey)) drafts.set(p.remoteVnetKey, { key: p.remoteVnetKey, vnet: undefined, resourceId: p.remoteVnetId });
  }
  const ordered = [...drafts.values()].sort((a, b) => compareText(a.key, b.key));

  // Links: one per VNet pair.
  interface LinkDraft {
    pair: [ResourceKey, ResourceKey];
    peerings: ViewLink['peerings'];
    findings: Finding[];
  }
  const linkDrafts = new Map<string, LinkDraft>();
  const linkOfPeering = new Map<ResourceKey, LinkDraft>();
  for (const p of [...topology.peerings.values()].sort((a, b) => compareText(a.key, b.key))) {
    const pair = [p.vnetKey, p.remoteVnetKey].sort(compareText) as [ResourceKey, ResourceKey];
    const pairKey = pair.join('|');
    let link = linkDrafts.get(pairKey);
    if (!link) {
      link = { pair, peerings: [], findings: [] };
      linkDrafts.set(pairKey, link);
    }
    link.peerings.push({
      id: p.id,
      name: p.name,
      from: p.vnet.name,
      state: p.peeringState,
      useRemoteGateways: p.useRemoteGateways,
      allowGatewayTransit: p.allowGatewayTransit,
    });
    linkOfPeering.set(p.key, link);
  }

  // Place each finding on the link of the peering it is about, or on the VNet it is about.
  const vnetOfChild = new Map<ResourceKey, ResourceKey>();
  for (const v of topology.vnets.values()) {
    for (const g of v.gateways) vnetOfChild.set(g.key, v.key);
    for (const a of v.appliances) vnetOfChild.set(a.key, v.key);
    for (const s of v.subnets) vnetOfChild.set(s.key, v.key);
  }
  const nodeFindings = new Map<ResourceKey, Finding[]>();
  for (const f of findings) {
    const key = keyOf(f.resourceId);
    const link = linkOfPeering.get(key);
    if (link) {
      link.findings.push(f);
      continue;
    }
    const parent = parseResourceId(f.resourceId)?.parentId;
    const vnetKey = drafts.has(key)
      ? key
      : (vnetOfChild.get(key) ?? (parent !== undefined && drafts.has(keyOf(parent)) ? keyOf(parent) : undefined));
    // A finding that names no VNet or peering of the estate is placed nowhere.
    if (vnetKey) pushTo(nodeFindings, vnetKey, f);
  }

  const statusOf = (link: LinkDraft): LinkStatus => {
    const candidates = new Set<LinkStatus>();
    const remoteUnread = link.pair.some((k) => !topology.vnets.has(k) && !topology.isInScope(k));
    if (remoteUnread) candidates.add('out-of-scope');
    for (const f of link.findings) {
      const direct = STATUS_OF_RULE[f.ruleId];
      if (direct) candidates.add(direct);
      else if (f.severity !== 'info') candidates.add('misconfigured');
    }
    if (link.peerings.some((p) => p.useRemoteGateways)) candidates.add('gateway-transit');
    candidates.add('healthy');
    return LINK_STATUSES.find((s) => candidates.has(s)) as LinkStatus;
  };

  // Hubs: a VNet with a gateway, firewall or NVA, one that offers gateway transit, or one with many peers.
  const degree = new Map<ResourceKey, number>();
  for (const l of linkDrafts.values()) for (const k of l.pair) degree.set(k, (degree.get(k) ?? 0) + 1);
  const offersTransit = new Set([...topology.peerings.values()].filter((p) => p.allowGatewayTransit).map((p) => p.vnetKey));
  const isHub = (d: Draft) =>
    d.vnet !== undefined && (d.vnet.gateways.length > 0 || d.vnet.appliances.length > 0 || offersTransit.has(d.key) || (degree.get(d.key) ?? 0) >= 5);

  const groupLabelOf = (d: Draft): { kind: ViewGroup['kind']; label: string } => {
    if (!d.vnet && !topology.isInScope(d.key)) return { kind: 'outside', label: 'not read (out of scope)' };
    if (groupBy === 'region') return { kind: 'region', label: d.vnet?.location?.toLowerCase() ?? 'unknown region' };
    return { kind: 'subscription', label: d.vnet?.subscriptionId ?? subscriptionOf(d.resourceId) ?? 'unknown subscription' };
  };
  const groupKeys = [...new Set(ordered.map((d) => JSON.stringify(groupLabelOf(d))))]
    .map((s) => JSON.parse(s) as { kind: ViewGroup['kind']; label: string })
    .sort((a, b) => compareText(a.kind === 'outside' ? '~' : a.label, b.kind === 'outside' ? '~' : b.label));
  const groups: ViewGroup[] = groupKeys.map((g, i) => ({ id: `g${i}`, ...g }));
  const groupIdOf = (d: Draft) => {
    const g = groupLabelOf(d);
    return (groups.find((x) => x.kind === g.kind && x.label === g.label) as ViewGroup).id;
  };

  const nodes: ViewNode[] = ordered.map((d, i) => {
    const own = nodeFindings.get(d.key) ?? [];
    return {
      id: `n${i}`,
      kind: d.vnet ? 'vnet' : 'external',
      key: d.key,
      resourceId: d.resourceId,
      name: d.vnet?.name ?? nameOf(d.resourceId),
      subscriptionId: d.vnet?.subscriptionId ?? subscriptionOf(d.resourceId) ?? '',
      location: d.vnet?.location,
      groupId: groupIdOf(d),
      hub: isHub(d),
      badges: d.vnet ? badgesOf(d.vnet) : [],
      ...(d.vnet ? {} : { external: topology.isInScope(d.key) ? ('missing' as const) : ('out-of-scope' as const) }),
      findings: own,
      worstSeverity: worst(own),
    };
  });
  const nodeByKey = new Map(nodes.map((n) => [n.key, n]));

  let links: ViewLink[] = [...linkDrafts.values()]
    .sort((a, b) => compareText(a.pair.join('|'), b.pair.join('|')))
    .map((l, i) => {
      const status = statusOf(l);
      return {
        id: `l${i}`,
        source: (nodeByKey.get(l.pair[0]) as ViewNode).id,
        target: (nodeByKey.get(l.pair[1]) as ViewNode).id,
        status,
        broken: LINK_STYLES[status].broken,
        peerings: l.peerings,
        findings: l.findings,
        worstSeverity: worst(l.findings),
        count: 1,
      };
    });

  // Collapse: a hub's healthy leaf spokes (one link, healthy, nothing worse than info findings, which
  // stay listed in the findings table) become one node.
  const onlyNotes = (fs: readonly Finding[]) => fs.every((f) => f.severity === 'info');
  let collapsedSpokes = 0;
  const nodesById = new Map(nodes.map((n) => [n.id, n]));
  const linksOf = linksByNode(links);
  const removedNodes = new Set<string>();
  const removedLinks = new Set<string>();
  const extraNodes: ViewNode[] = [];
  const extraLinks: ViewLink[] = [];
  for (const hub of nodes.filter((n) => n.hub)) {
    const leaves = (linksOf.get(hub.id) ?? []).filter((l) => {
      const other = nodesById.get(l.source === hub.id ? l.target : l.source) as ViewNode;
      return (
        (l.status === 'healthy' || l.status === 'gateway-transit') &&
        onlyNotes(l.findings) &&
        other.kind === 'vnet' &&
        !other.hub &&
        onlyNotes(other.findings) &&
        (linksOf.get(other.id)?.length ?? 0) === 1 &&
        !removedNodes.has(other.id)
      );
    });
    if (leaves.length <= collapseAbove) continue;
    const members = leaves.map((l) => nodesById.get(l.source === hub.id ? l.target : l.source) as ViewNode);
    for (const m of members) removedNodes.add(m.id);
    for (const l of leaves) removedLinks.add(l.id);
    collapsedSpokes += members.length;
    const id = `${hub.id}c`;
    extraNodes.push({
      id,
      kind: 'collapsed',
      key: `${hub.key}#healthy-spokes`,
      resourceId: '',
      name: `${members.length} healthy spokes`,
      subscriptionId: hub.subscriptionId,
      location: hub.location,
      groupId: hub.groupId,
      hub: false,
      badges: [],
      members: members.map((m) => ({ name: m.name, resourceId: m.resourceId })),
      findings: [],
      worstSeverity: undefined,
    });
    const transit = leaves.filter((l) => l.status === 'gateway-transit').length;
    extraLinks.push({
      id: `${hub.id}cl`,
      source: hub.id,
      target: id,
      status: transit * 2 > leaves.length ? 'gateway-transit' : 'healthy',
      broken: false,
      peerings: [],
      findings: [],
      worstSeverity: undefined,
      count: leaves.length,
    });
  }
  const finalNodes = [...nodes.filter((n) => !removedNodes.has(n.id)), ...extraNodes];
  links = [...links.filter((l) => !removedLinks.has(l.id)), ...extraLinks];
  const usedGroups = new Set(finalNodes.map((n) => n.groupId));
  return {
    groupBy,
    groups: groups.filter((g) => usedGroups.has(g.id)),
    nodes: finalNodes,
    links,
    collapsedSpokes,
  };
}

/** Each node's links, in the links' order. */
function linksByNode(links: readonly ViewLink[]): Map<string, ViewLink[]> {
  const linksOf = new Map<string, ViewLink[]>();
  for (const l of links) {
    pushTo(linksOf, l.source, l);
    if (l.target !== l.source) pushTo(linksOf, l.target, l);
  }
  return linksOf;
}

export interface HubRow {
  hub: ViewNode;
  spokes: { node: ViewNode; link: ViewLink }[];
}

/**
 * The topology as a table (for email and other places without a drawing): each hub with its
 * peers and the link status, broken links first; then links between non-hub VNets.
 */
export function hubSpokeTable(view: TopologyView): { hubs: HubRow[]; others: { a: ViewNode; b: ViewNode; link: ViewLink }[] } {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const rank = (l: ViewLink) => LINK_STATUSES.indexOf(l.status);
  // Each hub's links from one pass over the links, not a pass per hub (thousands of hubs in a large estate).
  const linksOf = linksByNode(view.links);
  const hubs: HubRow[] = view.nodes
    .filter((n) => n.hub)
    .sort((a, b) => compareText(a.name.toLowerCase(), b.name.toLowerCase()) || compareText(a.key, b.key))
    .map((hub) => ({
      hub,
      spokes: (linksOf.get(hub.id) ?? [])
        .map((link) => ({ node: byId.get(link.source === hub.id ? link.target : link.source) as ViewNode, link }))
        .sort((x, y) => rank(x.link) - rank(y.link) || compareText(x.node.name.toLowerCase(), y.node.name.toLowerCase())),
    }));
  const others = view.links
    .filter((l) => !(byId.get(l.source) as ViewNode).hub && !(byId.get(l.target) as ViewNode).hub)
    .map((link) => ({ a: byId.get(link.source) as ViewNode, b: byId.get(link.target) as ViewNode, link }))
    .sort((x, y) => rank(x.link) - rank(y.link));
  return { hubs, others };
}
