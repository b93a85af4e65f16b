// Voice Guard's panel: what each guarded device still contacts, as a picture.
//
// Served by Home Assistant (panel.py registers it); no library is fetched from anywhere.
// A plain custom element on Home Assistant's own building blocks (ha-card, ha-menu-button,
// ha-button, the theme's CSS variables). Everything it shows comes from the websocket
// command voice_guard/destinations, in the user's language; "Block" calls the
// voice_guard.block_host action after showing the catalog's breakage note.

const REFRESH_MS = 30_000;
const COLORS = {
  blocked: 'var(--success-color, #43a047)',
  cloud: 'var(--warning-color, #ffa600)',
  unknown: 'var(--error-color, #db4437)',
};

const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

class VoiceGuardPanel extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this._data = null;
    this._error = null;
    this._confirm = null; // [device_id, host] whose block waits for confirmation
    this._as = {}; // host key -> the switch chosen in its open confirmation
    this._done = {}; // host key -> message after a block
  }

  set hass(hass) {
    // Loaded at first, and again when the user picks another language.
    const reload = !this._hass || this._language !== hass.language;
    this._hass = hass;
    this._language = hass.language;
    if (reload) this._load();
    const menu = this.shadowRoot.querySelector('ha-menu-button');
    if (menu) menu.hass = hass;
  }

  set narrow(narrow) {
    this._narrow = narrow;
    const menu = this.shadowRoot.querySelector('ha-menu-button');
    if (menu) menu.narrow = narrow;
  }

  connectedCallback() {
    this._timer = setInterval(() => this._load(), REFRESH_MS);
    if (this._hass) this._load();
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  async _load() {
    if (!this._hass) return;
    try {
      this._data = await this._hass.connection.sendMessagePromise({
        type: 'voice_guard/destinations',
        language: this._hass.language,
      });
      this._error = null;
    } catch (err) {
      this._error = err && err.message ? err.message : String(err);
    }
    this._render();
  }

  _t(key, values = {}) {
    const text = (this._data && this._data.strings[key]) || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : `{${name}}`));
  }

  _locale() {
    return (this._hass.locale && this._hass.locale.language) || this._hass.language;
  }

  _time(iso) {
    return new Date(iso).toLocaleString(this._locale(), { dateStyle: 'short', timeStyle: 'short' });
  }

  _hour(iso) {
    // The user's own clock: 12 or 24 hours as their profile says.
    const format = this._hass.locale && this._hass.locale.time_format;
    const hour12 = format === '12' ? true : format === '24' ? false : undefined;
    return new Date(iso).toLocaleTimeString(this._locale(), { hour: 'numeric', hour12 });
  }

  _host(name) {
    // Long host names break at their dots, never inside a label.
    return escape(name).replace(/\./g, '.<wbr>');
  }

  _chart(device) {
    // The last 24 hours, one column per hour: blocked, answered by the vendor's cloud,
    // answered by hosts in no catalog, stacked.
    const hours = device.hourly.map(([start, categories]) => {
      let blocked = 0; let cloud = 0; let unknown = 0;
      for (const [category, [b, a]] of Object.entries(categories)) {
        blocked += b;
        if (category === 'unknown') unknown += a; else cloud += a;
      }
      return { start, blocked, cloud, unknown };
    });
    const most = Math.max(1, ...hours.map((h) => h.blocked + h.cloud + h.unknown));
    const width = 24 * 14;
    const height = 80;
    const bars = hours.map((h, i) => {
      let y = height;
      return ['blocked', 'cloud', 'unknown'].map((kind) => {
        const size = Math.round((h[kind] / most) * (height - 4));
        if (!size) return '';
        y -= size;
        return `<rect x="${i * 14 + 1}" y="${y}" width="12" height="${size}" fill="${COLORS[kind]}"><title>${escape(this._time(h.start))}: ${h[kind]}</title></rect>`;
      }).join('');
    }).join('');
    // An hour axis under the bars (every sixth hour, in the user's clock) and the scale.
    const ticks = hours.map((h, i) => (i % 6 === 0
      ? `<span style="left:${(i / 24) * 100}%">${escape(this._hour(h.start))}</span>` : '')).join('');
    return `<div class="scale muted">${escape(this._t('panel_chart_scale', { most }))}</div>
      <svg class="chart" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="${escape(this._t('panel_chart'))}">${bars}</svg>
      <div class="axis muted">${ticks}</div>
      <div class="legend">
        <span><i style="background:${COLORS.blocked}"></i>${escape(this._t('panel_blocked'))}</span>
        <span><i style="background:${COLORS.cloud}"></i>${escape(this._t('panel_answered_cloud'))}</span>
        <span><i style="background:${COLORS.unknown}"></i>${escape(this._t('panel_answered_unknown'))}</span>
      </div>`;
  }

  _categories(device) {
    // The last 24 hours by category: answered vs blocked, in words.
    const totals = {};
    for (const host of device.hosts) {
      if (!host.lookups_24h) continue;
      const t = totals[host.category] || (totals[host.category] = [0, 0]);
      t[0] += host.answered_24h;
      t[1] += host.blocked_24h;
    }
    const parts = Object.entries(totals).map(([category, [answered, blocked]]) => escape(
      this._t('panel_category_counts', { category: this._t(`category_${category}`), answered, blocked }),
    ));
    return parts.length ? `<p class="categories">${parts.join(' · ')}</p>` : '';
  }

  _row(device, host) {
    const key = `${device.device_id} ${host.host}`;
    const waiting = this._confirm && this._confirm[0] === device.device_id && this._confirm[1] === host.host;
    let action = '';
    const added = host.added_as && device.switches[host.added_as];
    if (host.blocked_now) {
      action = `<span class="muted">${escape(this._t('panel_blocked_now'))}</span>`;
    } else if (added && !added.on) {
      // Added with Block while its switch is off: nothing is blocked yet; say so, and
      // offer the switch (turning a block on is open to everyone).
      action = `<span class="done">${escape(this._done[key] || '')}</span>
        <span class="waiting">${escape(this._t('panel_added_switch_off', { switch: added.name }))}</span>
        <ha-button class="switch-on" data-entity="${escape(added.entity_id)}">${escape(this._t('panel_turn_on', { switch: added.name }))}</ha-button>`;
    } else if (this._done[key]) {
      action = `<span class="done">${escape(this._done[key])}</span>`;
    } else if (device.device_id) {
      action = `<ha-button class="block" data-device="${escape(device.device_id)}" data-host="${escape(host.host)}"><span class="nowrap">${escape(this._t('panel_block'))}</span></ha-button>`;
    }
    const confirm = waiting ? `<tr class="confirm"><td colspan="5">
        <p>${escape(host.breakage ? this._t('panel_breakage', { note: host.breakage }) : this._t('panel_no_breakage'))}</p>
        <label>${escape(this._t('panel_block_as'))}
          <select class="as" data-key="${escape(key)}">${['telemetry', 'voice'].map((kind) => `<option value="${kind}"${(this._as[key] || 'telemetry') === kind ? ' selected' : ''}>${escape(this._t(`category_${kind}`))}${device.switches[kind] && !device.switches[kind].on ? ` (${escape(this._t('panel_switch_off', { switch: device.switches[kind].name }))})` : ''}</option>`).join('')}</select>
        </label>
        <ha-button class="yes" data-device="${escape(device.device_id)}" data-host="${escape(host.host)}">${escape(this._t('panel_block_confirm'))}</ha-button>
        <ha-button class="no">${escape(this._t('panel_cancel'))}</ha-button>
      </td></tr>` : '';
    return `<tr class="host ${host.category === 'unknown' ? 'unknown' : ''}">
        <td class="name">${this._host(host.host)}</td>
        <td class="category">${escape(this._t(`category_${host.category}`))}</td>
        <td class="num">${host.answered_24h}</td>
        <td class="num">${host.blocked_24h}</td>
        <td class="action">${action}</td>
      </tr>${confirm}`;
  }

  _device(device) {
    const hosts = device.hosts.filter((h) => h.lookups_7d);
    const table = hosts.length ? `<table>
        <thead><tr><th>${escape(this._t('panel_host'))}</th><th class="category">${escape(this._t('panel_category'))}</th>
        <th class="num">${escape(this._t('panel_answered_24h'))}</th><th class="num">${escape(this._t('panel_blocked_24h'))}</th><th class="action"></th></tr></thead>
        <tbody>${hosts.map((h) => this._row(device, h)).join('')}</tbody></table>`
      : `<p class="muted">${escape(this._t('panel_no_hosts'))}</p>`;
    const learning = device.learning_until && new Date(device.learning_until) > new Date()
      ? `<p class="muted">${escape(this._t('panel_learning', { until: this._time(device.learning_until) }))}</p>` : '';
    return `<ha-card class="device" data-name="${escape(device.name)}">
        <div class="card-header">${escape(device.name)}<span class="state ${device.protected ? 'ok' : 'not'}">${escape(device.protection ?? this._t('panel_unknown'))}${device.unknown_since ? ' ' + escape(this._t('panel_unknown_since', { time: this._time(device.unknown_since) })) : ''}</span></div>
        <div class="card-content">
          <p class="muted">${escape(this._t('panel_filter', { filter: device.filter }))}</p>
          ${this._chart(device)}
          ${this._categories(device)}
          ${learning}
          ${table}
        </div>
      </ha-card>`;
  }

  _render() {
    const devices = this._data ? this._data.devices : [];
    const body = this._error
      ? `<p class="error">${escape(this._error)}</p>`
      : !this._data ? '' : devices.length
        ? devices.map((d) => this._device(d)).join('')
        : `<p class="muted">${escape(this._t('panel_no_devices'))}</p>`;
    this.shadowRoot.innerHTML = `<style>
        :host { display: block; background: var(--primary-background-color); min-height: 100vh; color: var(--primary-text-color); }
        .toolbar { display: flex; align-items: center; height: var(--header-height, 56px); padding: 0 12px; background: var(--app-header-background-color, var(--primary-color)); color: var(--app-header-text-color, white); font-size: 20px; }
        .content { padding: 16px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(min(480px, 100%), 1fr)); }
        ha-card { min-width: 0; }
        .intro { padding: 16px 16px 0; max-width: 960px; }
        .card-header { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; font-size: 20px; padding: 16px 16px 0; }
        .state { font-size: 14px; }
        .state.ok { color: var(--success-color, #43a047); }
        .state.not { color: var(--warning-color, #ffa600); }
        .card-content { padding: 8px 16px 16px; }
        .chart { width: 100%; height: 80px; background: var(--secondary-background-color); display: block; }
        .scale { font-size: 12px; margin: 4px 0 2px; }
        .axis { position: relative; height: 16px; font-size: 11px; }
        .axis span { position: absolute; white-space: nowrap; }
        .legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; margin: 4px 0 8px; }
        .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
        table { width: 100%; border-collapse: collapse; font-size: 14px; }
        th, td { text-align: left; padding: 4px; border-bottom: 1px solid var(--divider-color); }
        .num { text-align: right; width: 1%; }
        /* Break at the dots (<wbr>); only a single label longer than the column breaks. */
        td.name { overflow-wrap: break-word; }
        select { background: var(--card-background-color, var(--primary-background-color)); color: var(--primary-text-color); border: 1px solid var(--divider-color); border-radius: 4px; padding: 4px; font: inherit; max-width: 100%; }
        .waiting { display: block; color: var(--warning-color, #ffa600); }
        @media (max-width: 600px) {
          .content { padding: 8px; }
          .category { display: none; }
          .nowrap { white-space: normal; }
          /* Fixed columns: the numbers and the action keep their width, the host name
             takes the rest and wraps at its dots; nothing pushes the card wider. */
          table { table-layout: fixed; }
          th.num { width: 4.5em; }
          th.action { width: 8.5em; }
          th, td { padding: 4px 2px; }
          th { font-size: 12px; overflow-wrap: break-word; }
          td.action .done { min-width: 0; }
          td.action ha-button { max-width: 100%; }
        }
        /* The button's label stays on one line (its column as narrow as that allows);
           long host names wrap instead. */
        .nowrap { white-space: nowrap; }
        td.action { width: 1%; }
        td.action .done { display: block; min-width: 8em; }
        tr.unknown td.name { font-weight: 500; }
        .muted { color: var(--secondary-text-color); }
        .categories { font-size: 14px; margin: 0 0 8px; }
        .done { color: var(--success-color, #43a047); }
        .error { color: var(--error-color); padding: 16px; }
        tr.confirm td { background: var(--secondary-background-color); }
      </style>
      <div class="toolbar"><ha-menu-button></ha-menu-button><span>Voice Guard</span></div>
      <p class="intro muted">${escape(this._data ? this._t('panel_intro') : '')}</p>
      <div class="content">${body}</div>`;
    const menu = this.shadowRoot.querySelector('ha-menu-button');
    menu.hass = this._hass;
    menu.narrow = this._narrow;
    this.shadowRoot.querySelectorAll('ha-button.block').forEach((button) => button.addEventListener('click', () => {
      this._confirm = [button.dataset.device, button.dataset.host];
      this._render();
    }));
    this.shadowRoot.querySelectorAll('ha-button.no').forEach((button) => button.addEventListener('click', () => {
      this._confirm = null;
      this._render();
    }));
    this.shadowRoot.querySelectorAll('ha-button.yes').forEach((button) => button.addEventListener('click', () => this._block(button)));
    this.shadowRoot.querySelectorAll('select.as').forEach((select) => select.addEventListener('change', () => {
      this._as[select.dataset.key] = select.value; // kept through the next refresh
    }));
    this.shadowRoot.querySelectorAll('ha-button.switch-on').forEach((button) => button.addEventListener('click', async () => {
      await this._hass.callService('switch', 'turn_on', { entity_id: button.dataset.entity });
      await this._load();
    }));
  }

  async _block(button) {
    const row = button.closest('tr');
    const as = row.querySelector('select.as').value;
    const key = `${button.dataset.device} ${button.dataset.host}`;
    try {
      await this._hass.callService('voice_guard', 'block_host', {
        device_id: button.dataset.device, host: button.dataset.host, block_as: as,
      });
      this._done[key] = this._t('panel_block_done', { category: this._t(`category_${as}`) });
    } catch (err) {
      this._done[key] = err && err.message ? err.message : String(err);
    }
    this._confirm = null;
    delete this._as[key];
    await this._load(); // the row now says whether the host is blocked, or what is off
  }
}

if (!customElements.get('voice-guard-panel')) {
  customElements.define('voice-guard-panel', VoiceGuardPanel);
}
