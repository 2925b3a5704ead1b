// mfa.html and office-mfa.html: the account's methods (GET
// multi-factor-auth-types) and the four actions, contract §4, and the
// recovery codes (contract §8): how many are left, a new set shown once, to
// print.  The side comes from <body data-side>.  Activating totp answers the
// app's secret (contract §6.4): its QR code (the server's SVG, parsed as SVG
// and checked element by element before its nodes are adopted: never markup
// from a string) and the secret for typing in by hand are shown beside the
// verify form.  Passkeys (webauthn, contract §12): activate answers the
// creation options, the browser makes the credential and verify registers
// it; the passkeys section lists them (GET
// multi-factor-auth-webauthn-credentials) and removes one (DELETE, with a
// code).
import { h, $, say, busy, clear, put, cell } from './dom.js';
import { register as registerPasskey, supported as passkeysSupported } from './webauthn.js';
import { call, doc, showError, errorCode } from './api.js';
import { frame, requireSession } from './page.js';
import { protectedCall, trigger } from './prompt.js';

frame();
const side = document.body.dataset.side === 'backend' ? 'backend' : 'storefront';
const msg = $('#msg'), list = $('#methods'), verifyBox = $('#verify');
// What activate answered for a pending totp, until it is verified.
const enrolments = {};

// The QR code: an SVG of one <rect> and <path>s with presentation
// attributes only, else null (nothing shown but the secret).
const SVG_ATTRS = {
	svg: ['xmlns', 'viewBox', 'width', 'height', 'shape-rendering'],
	rect: ['width', 'height', 'fill', 'x', 'y'],
	path: ['fill', 'd'],
};
function qrImage(text) {
	const parsed = new DOMParser().parseFromString(String(text), 'image/svg+xml');
	const root = parsed.documentElement;
	if (!(root instanceof SVGSVGElement) || parsed.getElementsByTagName('parsererror').length)
		return null;
	for (const el of [root, ...root.querySelectorAll('*')]) {
		const allowed = SVG_ATTRS[el.localName];
		if (!allowed || !(el instanceof SVGElement) ||
		    Array.from(el.attributes).some((a) => !allowed.includes(a.name)))
			return null;
	}
	const svg = document.importNode(root, true);
	svg.setAttribute('role', 'img');
	svg.setAttribute('aria-label', 'QR code of the authenticator key');
	return svg;
}

// "ABCD EFGH ...": easier to type; apps ignore the spaces.
function grouped(secret) {
	return String(secret).replace(/(.{4})(?=.)/g, '$1 ');
}

function enrolBox(type) {
	const e = enrolments[type];
	if (!e)
		return null;
	const qr = qrImage(e.qrCodeSvg);
	return h('div', { class: 'enrol', id: `enrol-${type}` },
	    h('p', { class: 'hint', text: 'Scan this QR code with your authenticator app, or enter the key by hand (time-based, 6 digits, 30 seconds). It is shown only now.' }),
	    qr ? h('div', { class: 'qr', id: `qr-${type}` }, qr) : null,
	    h('p', {}, 'Key: ', h('code', { id: `secret-${type}`, class: 'secret', dataset: { secret: e.secret },
		text: grouped(e.secret) })));
}

const recoveryBox = $('#recovery'), passkeysBox = $('#passkeys');
const CREDS = 'multi-factor-auth-webauthn-credentials';
const WA = 'webauthn';
const RECOVERY = 'multi-factor-auth-recovery-codes';

const READABLE = {
	'deactivated': ['Off', 'deactivated'],
	'activation is pending': ['Waiting for the code', 'pending'],
	'activated': ['On', 'activated'],
};

function statusBadge(status) {
	const [words, cls] = READABLE[status] || [status, ''];
	return h('span', { class: `status ${cls}`, dataset: { status } }, words, ' ',
	    h('code', { text: `(${status})` }));
}

async function load(quiet) {
	const ex = await call({ side, path: 'multi-factor-auth-types', quiet,
		summary: (x) => x.status === 200 ? `${x.json.data.length} method(s) offered.` : null });
	clear(list);
	clear(verifyBox);
	if (ex.status !== 200) {
		showError(msg, ex, 'Could not load the methods:');
		return;
	}
	for (const m of ex.json.data)
		list.append(row(m.id, m.attributes.status));
	for (const m of ex.json.data.filter((x) => x.attributes.status === 'activation is pending' &&
	    x.id !== WA))
		verifyBox.append(verifyForm(m.id));
	verifyBox.hidden = !verifyBox.children.length;
	const wa = ex.json.data.find((m) => m.id === WA);
	await loadPasskeys(wa ? wa.attributes.status : null);
	await loadRecovery(ex.json.data.some((m) => m.attributes.status === 'activated'));
}

// The passkeys section: the name for the next one, the registered ones
// with their creation and last use, a Remove button each.
async function loadPasskeys(status) {
	clear(passkeysBox);
	passkeysBox.hidden = status === null;
	if (status === null)
		return;
	const note = h('p', { id: 'passkeys-msg', class: 'msg', role: 'status', hidden: true });
	const ex = status === 'activated' ? await call({ side, path: CREDS, quiet: true }) : null;
	const rows = ex && ex.status === 200 ? ex.json.data : [];
	const when = (t) => t ? t.replace('T', ' ').replace('Z', ' UTC') : 'never';
	put(passkeysBox, [
	    h('h2', { id: 'passkeys-h', text: 'Passkeys' }),
	    h('p', { class: 'hint', text: passkeysSupported() ?
		'A passkey signs in with your device (fingerprint, face, PIN or a security key). ' +
		'Open this page by the host name localhost, not 127.0.0.1: an IP address cannot carry passkeys.' :
		'This browser has no WebAuthn support.' }),
	    h('div', { class: 'field' },
		h('label', { for: 'passkey-name', text: 'Name of the next passkey' }),
		h('input', { id: 'passkey-name', name: 'passkey-name', maxlength: '64',
		    placeholder: 'Passkey' })),
	    rows.length ? h('ul', { id: 'passkey-list' }, rows.map((c) =>
		h('li', { dataset: { id: c.id } },
		    h('strong', { class: 'passkey-name', text: c.attributes.name }),
		    ` — added ${when(c.attributes.createdAt)}, last used ${when(c.attributes.lastUsedAt)} `,
		    button('Remove', 'danger small', (b) => removePasskey(c, b, note))))) :
		h('p', { id: 'passkey-none', class: 'hint', text: 'No passkey yet.' }),
	    note]);
}

async function removePasskey(c, btn, note) {
	btn.disabled = true;
	say(note, 'busy', `Removing ${c.attributes.name}…`);
	const ex = await protectedCall({ side, method: 'DELETE', path: `${CREDS}/${c.id}`,
		summary: (x) => x.status === 204 ? 'The passkey was removed.' : null },
	    `Removing the passkey ${c.attributes.name}`);
	btn.disabled = false;
	if (ex === null)
		say(note, 'info', 'Cancelled; the passkey stays.');
	else if (ex.status === 204) {
		await load(true);
		say($('#passkeys-msg') || msg, 'ok', `${c.attributes.name} was removed.`);
	} else if (errorCode(ex) !== '5900')
		showError(note, ex, 'Not removed:');
}

// After activate answered the creation options: the ceremony and verify.
async function enrolPasskey(pk) {
	const input = $('#passkey-name');
	const name = input && input.value.trim() ? input.value.trim() : null;
	say(msg, 'busy', 'Waiting for your passkey…');
	let ex;
	try {
		ex = await registerPasskey(side, pk, name);
	} catch (err) {
		say(msg, 'err', `No passkey was made (${err.name}).`);
		return;
	}
	if (ex.status === 204)
		say(msg, 'ok', 'The passkey is registered. Protected changes now need it (or another method).');
	else
		showError(msg, ex, 'Not registered:');
}

// The recovery codes' section: the count, and a button for a new set
// (which needs a code of an active method).
async function loadRecovery(anyActive) {
	const ex = await call({ side, path: RECOVERY, quiet: true });
	const keep = $('#recovery-sheet');
	clear(recoveryBox);
	const note = h('p', { id: 'recovery-msg', class: 'msg', role: 'status', hidden: true });
	const a = ex.status === 200 ? ex.json.data.attributes : null;
	const count = !a ? 'Could not load the recovery codes.' : a.createdAt === null ?
	    'No recovery codes yet.' :
	    `${a.remaining} of 10 left (made ${a.createdAt.replace('T', ' ').replace('Z', ' UTC')}).`;
	put(recoveryBox, [
	    h('h2', { id: 'recovery-h', text: 'Recovery codes' }),
	    h('p', { class: 'hint', text: 'Single-use codes for when your methods are out of reach: ' +
		'each one works once instead of a code, wherever a code is asked for. ' +
		'A new set replaces the old one and is shown only once.' }),
	    h('p', { id: 'recovery-count', dataset: { remaining: a ? String(a.remaining) : '' },
		text: count }),
	    anyActive ? h('div', { class: 'row' }, button('Make new recovery codes', 'secondary',
		(b) => newSet(b, note))) :
		h('p', { class: 'hint', text: 'Switch a method on first.' }),
	    note]);
	if (keep)
		recoveryBox.append(keep);
	recoveryBox.hidden = false;
}

async function newSet(btn, note) {
	btn.disabled = true;
	say(note, 'busy', 'Making a new set…');
	const ex = await protectedCall({ side, method: 'POST', path: RECOVERY, body: doc(RECOVERY, {}),
		summary: (x) => x.status === 201 ? 'A new set of recovery codes (shown once).' : null },
	    'Making new recovery codes');
	btn.disabled = false;
	if (ex === null) {
		say(note, 'info', 'Cancelled; the old codes stay.');
		return;
	}
	if (ex.status !== 201) {
		if (errorCode(ex) !== '5900')
			showError(note, ex, 'No new set:');
		return;
	}
	const old = $('#recovery-sheet');
	if (old)
		old.remove();
	const sheet = h('div', { id: 'recovery-sheet', class: 'stack' },
	    h('h3', { text: 'Your recovery codes' }),
	    h('p', { class: 'hint', text: 'Print them or write them down now: they are not shown again. ' +
		'Any earlier codes no longer work.' }),
	    h('ol', { id: 'recovery-codes', class: 'codes' },
		ex.json.data.attributes.codes.map((c) => h('li', {}, h('code', { text: c })))),
	    h('div', { class: 'row noprint' },
		button('Print', '', () => window.print())));
	await load(true);
	recoveryBox.append(sheet);
	say($('#recovery-msg'), 'ok', 'A new set of 10 recovery codes was made.');
}

function button(label, cls, fn) {
	return h('button', { type: 'button', class: cls, text: label, on: { click: (ev) => fn(ev.currentTarget) } });
}

function row(type, status) {
	const actions = h('td', { class: 'actions' });
	if (type === WA)
		put(actions, [status === 'activated' ?
		    button('Add a passkey', 'secondary', (b) => activate(type, b)) :
		    button('Register a passkey', '', (b) => activate(type, b)),
		    status === 'activated' ? button('Deactivate', 'danger', (b) => deactivate(type, b)) : null]);
	else if (status === 'deactivated')
		put(actions, button('Activate', '', (b) => activate(type, b)));
	else if (status === 'activation is pending')
		put(actions, button(type === 'totp' ? 'New key' : 'Send a new code', 'secondary',
		    (b) => activate(type, b)));
	else if (status === 'activated')
		put(actions, [type === 'totp' ? null :
		    button('Send me a code', 'secondary', (b) => trigger(side, type, msg, b)),
		    button('Deactivate', 'danger', (b) => deactivate(type, b))]);
	return h('tr', { dataset: { method: type } },
	    cell('Method', h('strong', { text: type })),
	    cell('Status', statusBadge(status)),
	    actions);
}

async function activate(type, btn) {
	btn.disabled = true;
	say(msg, 'busy', `Starting the activation of ${type}…`);
	const ex = await protectedCall({ side, method: 'POST', path: 'multi-factor-auth-type-activate',
		body: doc('multi-factor-auth-type-activate', { type }),
		summary: (x) => x.status === 204 ? `Activation of ${type} started; a code was sent.` :
		    x.status === 200 ? `Activation of ${type} started; the key is shown below.` : null },
	    `Adding another method (${type})`);
	btn.disabled = false;
	const answer = ex && ex.status === 200 && ex.json && ex.json.data && ex.json.data.attributes;
	if (answer && answer.secret)
		enrolments[type] = answer;
	if (answer && answer.publicKey) {
		await enrolPasskey(answer.publicKey);
		await load(true);
		return;
	}
	if (ex === null)
		say(msg, 'info', 'Cancelled.');
	else if (answer)
		say(msg, 'ok', `Add the key to your authenticator app, then enter the code it shows below to switch ${type} on.`);
	else if (ex.status === 204)
		say(msg, 'ok', `A code was sent for ${type}. Enter it below to switch the method on`,
		    h('span', { 'data-dev': true }, ' (',
			h('a', { href: 'mailbox.html', target: '_blank', rel: 'noopener', text: 'mailbox' }), ')'), '.');
	else
		showError(msg, ex, 'Not started:');
	await load(true);
	const input = $(`#verify-${type}`);
	if (input && ex && (ex.status === 204 || answer))
		input.focus();
}

function verifyForm(type) {
	const id = `verify-${type}`;
	const note = h('p', { class: 'msg', role: 'status', hidden: true });
	const form = h('form', { class: 'stack', novalidate: true, dataset: { method: type } },
	    h('h2', { text: `Finish switching on ${type}` }),
	    enrolBox(type),
	    h('p', { class: 'hint', text: type === 'totp' ?
		'Enter the code your authenticator app shows (POST multi-factor-auth-type-verify with X-MFA-Code).' :
		'Enter the code from the e-mail (POST multi-factor-auth-type-verify with X-MFA-Code).' }),
	    h('div', { class: 'field' },
		h('label', { for: id, text: 'Verification code' }),
		h('input', { id, name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code',
		    pattern: '[0-9]*', maxlength: '10' })),
	    h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Verify' })),
	    note);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		busy(form, async () => {
			const code = form.elements.code.value.trim();
			if (!code) {
				say(note, 'err', 'Enter the code first.');
				return;
			}
			const ex = await call({ side, method: 'POST', path: 'multi-factor-auth-type-verify',
				body: doc('multi-factor-auth-type-verify', { type }), mfaCode: code,
				summary: (x) => x.status === 204 ? `${type} is switched on.` : null });
			if (ex.status === 204) {
				delete enrolments[type];
				say(msg, 'ok', `${type} is switched on. Protected changes now need a code.`);
				await load(true);
			} else {
				showError(note, ex);
				form.elements.code.select();
			}
		});
	});
	return form;
}

async function deactivate(type, btn) {
	btn.disabled = true;
	say(msg, 'busy', `Switching off ${type}…`);
	const ex = await protectedCall({ side, method: 'POST', path: 'multi-factor-auth-type-deactivate',
		body: doc('multi-factor-auth-type-deactivate', { type }),
		summary: (x) => x.status === 204 ? `${type} is switched off.` : null },
	    `Switching off ${type}`, [type]);
	btn.disabled = false;
	if (ex === null)
		say(msg, 'info', 'Cancelled; the method stays on.');
	else if (ex.status === 204)
		say(msg, 'ok', `${type} is switched off.`);
	else if (errorCode(ex) !== '5900')
		showError(msg, ex, 'Not switched off:');
	await load(true);
}

if (requireSession(side, $('#content'))) {
	$('#reload').addEventListener('click', () => load(false));
	load(false);
}
