// The dashboard's CSS: one column of cards for a phone held upright (390 px wide), big
// numbers, every tap target at least 44 px high, no hover-only information.

export const dashboardStyles = `
:host { display: block; min-height: 100vh; background: var(--remap-panel);
  font-size: 15px; -webkit-text-size-adjust: 100%; }
header { position: sticky; top: 0; z-index: 2; display: flex; align-items: center; gap: 10px; padding: 10px 14px;
  background: var(--remap-bg); border-bottom: 1px solid var(--remap-border); }
header h1 { font-size: 17px; margin: 0; }
header h1 span { color: var(--remap-accent); }
header .name { flex: 1; min-width: 0; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
header .live { color: var(--remap-muted); font-size: 13px; white-space: nowrap; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 5px; background: var(--remap-ok); }
.dot.off { background: var(--remap-warn); }
main { display: flex; flex-direction: column; gap: 10px; padding: 10px; }
.card { background: var(--remap-bg); border: 1px solid var(--remap-border); border-radius: 10px; padding: 12px; min-width: 0; }
h2 { font-size: 13px; margin: 0 0 8px; display: flex; gap: 8px; align-items: baseline; }
h2 .muted { text-transform: none; letter-spacing: 0; font-weight: 400; }
p { margin: 6px 0 0; font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(70px, 1fr)); gap: 8px; }
.tile { display: flex; flex-direction: column; align-items: flex-start; padding: 6px 10px; border-radius: 8px;
  background: var(--remap-panel); border-left: 4px solid var(--remap-border); }
.tile b { font-size: 26px; line-height: 1.1; font-variant-numeric: tabular-nums; }
.tile span { font-size: 12px; color: var(--remap-muted); }
.tile.done { border-left-color: #009E73; }
.tile.running { border-left-color: #E69F00; }
.tile.queued { border-left-color: #56B4E9; }
.tile.failed { border-left-color: #D55E00; }
.meter { display: block; height: 10px; border-radius: 5px; background: var(--remap-border); overflow: hidden; margin-top: 10px; }
.meter > span { display: block; height: 100%; background: var(--remap-accent); }
.meter.small { height: 6px; margin-top: 4px; }
.paused { color: var(--remap-warn); }
ol, ul { list-style: none; margin: 0; padding: 0; }
.models { display: flex; flex-direction: column; gap: 8px; }
.model { border-top: 1px solid var(--remap-border); padding-top: 8px; }
.model:first-child { border-top: none; padding-top: 0; }
.tap { all: unset; box-sizing: border-box; display: flex; align-items: center; gap: 10px; width: 100%; min-height: 44px;
  padding: 4px 2px; cursor: pointer; border-radius: 8px; -webkit-tap-highlight-color: transparent; }
.tap:focus-visible { outline: 2px solid var(--remap-accent); }
.tap:active { background: var(--remap-accent-soft); }
.rank { flex: none; width: 28px; height: 28px; border-radius: 50%; display: grid; place-items: center;
  background: var(--remap-accent-soft); color: var(--remap-accent); font-weight: 700; font-size: 14px; }
.what { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.id { font-family: var(--remap-mono); font-weight: 600; }
.what .muted { font-size: 13px; }
.acc { font-weight: 700; font-variant-numeric: tabular-nums; white-space: nowrap; }
.chev { color: var(--remap-muted); width: 14px; text-align: center; }
snac-chip { display: block; margin: 2px 0 0 38px; max-width: calc(100% - 38px); }
.details { display: grid; grid-template-columns: auto 1fr; gap: 3px 12px; margin: 8px 0 4px 38px; font-size: 13px; }
.details dt { color: var(--remap-muted); }
.details dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.details .desc { font-size: 12px; }
.rows { display: flex; flex-direction: column; }
.row { display: grid; grid-template-columns: auto 1fr; align-items: center; gap: 2px 10px; padding: 6px 0;
  border-top: 1px solid var(--remap-border); font-size: 14px; min-height: 44px; }
.row:first-child { border-top: none; }
.row .meter { grid-column: 1 / -1; order: 3; }
.row[data-queued] { grid-template-columns: 22px auto 1fr; }
.row .pos { color: var(--remap-muted); font-variant-numeric: tabular-nums; text-align: right; }
.row .muted { font-size: 13px; text-align: right; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.searches { display: flex; flex-direction: column; gap: 12px; }
.search { border-top: 1px solid var(--remap-border); padding-top: 10px; font-size: 14px; }
.search:first-child { border-top: none; padding-top: 0; }
.search .line { display: flex; gap: 8px; align-items: baseline; }
.search .muted { font-size: 13px; }
.search .best { margin-top: 6px; }
.search snac-chip { margin-left: 0; max-width: 100%; }
.status { margin-left: auto; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.status.running { color: var(--remap-ok); }
.status.paused { color: var(--remap-warn); }
.status.stopped, .status.done { color: var(--remap-muted); }
.foot { text-align: center; font-size: 12px; padding: 4px 16px 16px; }
`;
