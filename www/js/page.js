// The frame every page shares: the header with the navigation and who is
// signed in, and the log of requests and responses beside the forms.
// A page's HTML holds only its own <main>.

import { h, $, clear, put } from './dom.js';
import { session, clearSession, send, sideName } from './api.js';

const NAV = [
	['Shop', [
		['index.html', 'Start'],
		['register.html', 'Register'],
		['signin.html', 'Sign in'],
		['mfa.html', 'MFA'],
		['profile.html', 'Profile'],
	]],
	['Back office', [
		['office-signin.html', 'Sign in'],
		['office-mfa.html', 'MFA'],
		['office-users.html', 'Users'],
		['office-rescue.html', 'Rescue'],
	]],
	['Development', [
		['mailbox.html', 'Mailbox'],
	], true],
];

function here() {
	const p = location.pathname.replace(/.*\//, '');
	return p === '' ? 'index.html' : p;
}

function nav() {
	const cur = here();
	return h('nav', { 'aria-label': 'Pages' },
	    NAV.map(([group, links, dev]) => h('div', { class: 'navgroup', 'data-dev': dev },
		h('span', { class: 'navhead', text: group }),
		h('ul', {}, links.map(([href, label]) => h('li', {},
		    h('a', { href, 'aria-current': href === cur ? 'page' : null, text: label })))))));
}

function who(side) {
	const s = session(side);
	const label = side === 'backend' ? 'Back office' : 'Customer';
	if (!s)
		return h('span', { class: 'who off', id: `who-${side}` }, `${label}: signed out`);
	return h('span', { class: 'who on', id: `who-${side}` }, `${label}: `,
	    h('strong', { text: s.email || s.username || '?' }),
	    s.customerReference ? ` (${s.customerReference})` : '');
}

function renderWho() {
	const box = $('#whobox');
	if (box) {
		clear(box);
		put(box, [who('storefront'), who('backend')]);
	}
}

function logAside() {
	const clearBtn = h('button', { type: 'button', class: 'small', text: 'Clear log',
		on: { click: () => clear($('#exchanges')) } });
	return h('aside', { class: 'log', 'aria-labelledby': 'log-h' },
	    h('div', { class: 'loghead' },
		h('h2', { id: 'log-h', text: 'Requests and responses' }), clearBtn),
	    h('p', { class: 'hint', text: 'Newest first. Passwords are hidden; everything else is shown as sent and received.' }),
	    h('div', { id: 'exchanges', 'aria-live': 'polite' }));
}

// The development mailbox page (mailbox.html, with its program) is left
// out of `make install`.  Links to it (a[href="mailbox.html"] and what is
// marked data-dev) stay hidden by the style sheet until <html
// data-mailbox="on">: the last answer known in this tab is applied at
// once (no link appears and goes), then one HEAD of mailbox.html per page
// load says whether the page is there.  Anything but a 200 (a 404, a
// network error) hides them.  Where the page is there but dev_mailbox is
// off, the page itself says so.  Installed pages never ask the
// development program anything (tests/e2e/test_install.py).
const MAILBOX_KEY = 'glue-mfa.mailbox';

function mailboxState(on) {
	document.documentElement.dataset.mailbox = on ? 'on' : 'off';
	document.documentElement.dataset.mailboxChecked = '';	/* the probe answered */
	try {
		sessionStorage.setItem(MAILBOX_KEY, on ? 'on' : 'off');
	} catch (e) {
		/* storage refused: the probe of each page still decides */
	}
}

export async function mailboxLinks() {
	let known = null, on = false;
	try {
		known = sessionStorage.getItem(MAILBOX_KEY);
	} catch (e) {
		known = null;
	}
	if (known === 'on')
		document.documentElement.dataset.mailbox = 'on';
	try {
		const res = await fetch(new URL('mailbox.html', document.baseURI).href,
		    { method: 'HEAD', cache: 'no-store', credentials: 'omit', redirect: 'error' });
		on = res.status === 200;
	} catch (e) {
		on = false;
	}
	mailboxState(on);
	return on;
}

// Builds the frame around the page's <main>.
export function frame() {
	const main = $('main');
	const header = h('header', { class: 'top' },
	    h('div', { class: 'brand' },
		h('a', { href: 'index.html', text: 'glue-mfa' }),
		h('span', { text: ' manual testing' })),
	    nav(),
	    h('div', { id: 'whobox', class: 'whobox' }));
	const skip = h('a', { class: 'skip', href: '#main', text: 'Skip to the form' });
	main.id = 'main';
	const layout = h('div', { class: 'layout' });
	main.replaceWith(layout);
	layout.append(main, logAside());
	document.body.prepend(skip, header);
	renderWho();
	document.addEventListener('glue-session', renderWho);
	mailboxLinks();
}

// For pages that need a signed-in account: a notice with a link to the
// sign-in page; returns the session or null.
export function requireSession(side, el) {
	const s = session(side);
	if (s)
		return s;
	const href = side === 'backend' ? 'office-signin.html' : 'signin.html';
	clear(el);
	put(el, h('p', { class: 'msg info notice' },
	    `This page needs a signed-in ${side === 'backend' ? 'back-office user' : 'customer'}. `,
	    h('a', { href, text: `Sign in (${sideName(side)})` }), '.'));
	return null;
}

// Sign-out of a side: the Storefront revokes its tokens on the server; the
// Backend API has no revocation endpoint, so the tokens are only
// forgotten here.
export async function signOut(side) {
	const s = session(side);
	let ex = null;
	if (s && side === 'storefront')
		ex = await send({ side, method: 'DELETE', path: 'refresh-tokens/mine',
			token: s.accessToken,
			summary: (x) => x.status === 204 ? 'Signed out: the refresh tokens and this access token are revoked.' : null });
	clearSession(side);
	return ex;
}

// Marks the inputs named by the errors' source.pointer
// (/data/attributes/<name>) and says why under each; clears old marks.
export function fieldErrors(form, ex) {
	for (const el of form.querySelectorAll('[aria-invalid]')) {
		el.removeAttribute('aria-invalid');
		if (el.dataset.describedby)
			el.setAttribute('aria-describedby', el.dataset.describedby);
		else
			el.removeAttribute('aria-describedby');
	}
	for (const el of form.querySelectorAll('.field-error'))
		el.remove();
	const errors = (ex && ex.json && Array.isArray(ex.json.errors)) ? ex.json.errors : [];
	for (const e of errors) {
		const ptr = e.source && e.source.pointer;
		const m = ptr && /^\/data\/attributes\/([A-Za-z0-9]+)$/.exec(ptr);
		const input = m && form.elements[m[1]];
		if (!input || !input.id)
			continue;
		const note = h('p', { class: 'field-error', id: `${input.id}-err`, text: e.detail || 'Invalid value.' });
		if (input.dataset.describedby === undefined)
			input.dataset.describedby = input.getAttribute('aria-describedby') || '';
		input.setAttribute('aria-invalid', 'true');
		input.setAttribute('aria-describedby', `${input.dataset.describedby} ${note.id}`.trim());
		(input.closest('.field, .check') || input).after(note);
	}
}
