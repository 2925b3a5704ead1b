// mailbox.html: the development mail spool (GET /dev-mailbox[/{id}]),
// newest first, so a tester can read a code without a shell.  The server
// answers 404 unless the configuration has dev_mailbox = on.
import { h, $, say, clear, put, cell } from './dom.js';
import { send, showError } from './api.js';
import { frame } from './page.js';

frame();
const body = $('#mails tbody'), msg = $('#msg'), view = $('#message'), filter = $('#to');
const auto = $('#auto');
let mails = [], openId = null, timer = null;

// The code in a message's text part ("Your verification code is: 123456").
function codeIn(text) {
	const m = /code is:\s*([0-9]{6,10})\b/i.exec(text || '');
	return m ? m[1] : null;
}

function ago(date) {
	const t = Date.parse(date);
	if (!Number.isFinite(t))
		return '';
	const s = Math.max(0, Math.round((Date.now() - t) / 1000));
	return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ago`;
}

// The local time of a Date header, or the header itself.
function clock(date) {
	const t = new Date(date);
	return Number.isFinite(t.getTime()) ? t.toLocaleTimeString() : date;
}

function render() {
	const want = filter.value.trim().toLowerCase();
	const shown = mails.filter((m) => !want || m.attributes.to.toLowerCase().includes(want));
	clear(body);
	for (const m of shown) {
		const a = m.attributes;
		body.append(h('tr', { class: m.id === openId ? 'selected' : null, dataset: { id: m.id, to: a.to } },
		    cell('Received', h('span', { class: 'nowrap', text: clock(a.date) }), ' ',
			h('span', { class: 'hint nowrap', text: ago(a.date) })),
		    cell('To', a.to),
		    cell('Subject', a.subject),
		    h('td', { class: 'actions' },
			h('button', { type: 'button', class: 'small', text: 'Open',
			    'aria-label': `Open "${a.subject}" to ${a.to}`, on: { click: () => show(m.id) } }))));
	}
	$('#count').textContent = `${shown.length} of ${mails.length} message(s)` + (want ? ` for "${filter.value.trim()}"` : '');
}

async function load(quiet) {
	const ex = await send({ path: 'dev-mailbox', quiet,
		summary: (x) => x.status === 200 ? `${x.json.data.length} message(s) in the spool.` : null });
	if (ex.status === 404) {
		mails = [];
		render();
		say(msg, 'err', 'The development mailbox is off. Set ', h('code', { text: 'dev_mailbox = on' }),
		    ' (with ', h('code', { text: 'mail_transport = spool' }), ') in the configuration and restart.');
		return;
	}
	if (ex.status !== 200) {
		showError(msg, ex, 'Could not read the mailbox:');
		return;
	}
	if (!quiet)
		msg.hidden = true;
	mails = ex.json.data;
	render();
}

async function show(id) {
	openId = id;
	render();
	const ex = await send({ path: `dev-mailbox/${encodeURIComponent(id)}`,
		summary: (x) => x.status === 200 ? `Message to ${x.json.data.attributes.to}.` : null });
	clear(view);
	view.hidden = false;
	if (ex.status !== 200) {
		put(view, h('p', { class: 'msg err', text: 'This message is gone.' }));
		return;
	}
	const a = ex.json.data.attributes, code = codeIn(a.text);
	const codeEl = h('span', { id: 'found-code', class: 'code-found', text: code || '' });
	const copy = h('button', { type: 'button', class: 'secondary small', text: 'Copy',
		on: { click: () => copyCode(codeEl, copy) } });
	const htmlPart = h('details', { class: 'raw' }, h('summary', { text: 'HTML part (rendered in a sandbox)' }));
	htmlPart.addEventListener('toggle', () => {
		if (!htmlPart.open || htmlPart.querySelector('iframe'))
			return;
		const frame = h('iframe', { class: 'mailhtml', sandbox: '', title: 'HTML part of the message' });
		frame.srcdoc = a.html;	/* sandbox="": no scripts, no same origin */
		htmlPart.append(frame);
	});
	put(view, [
	    h('h2', { id: 'message-h', text: a.subject }),
	    h('dl', { class: 'mailmeta' },
		h('dt', { text: 'To' }), h('dd', { id: 'message-to', text: a.to }),
		h('dt', { text: 'Date' }), h('dd', { text: a.date }),
		h('dt', { text: 'File' }), h('dd', { class: 'mono', text: id })),
	    code ? h('p', { class: 'msg ok' }, 'Code: ', codeEl, ' ', copy) : null,
	    h('h3', { text: 'Text part' }),
	    h('pre', { id: 'message-text', text: a.text }),
	    htmlPart,
	]);
	view.focus();
}

// The clipboard API exists only in secure contexts (https, localhost);
// elsewhere the code is selected for Ctrl+C.
function copyCode(el, button) {
	const select = () => {
		const range = document.createRange();
		range.selectNodeContents(el);
		getSelection().removeAllRanges();
		getSelection().addRange(range);
		button.textContent = 'Selected: press Ctrl+C';
	};
	if (!navigator.clipboard)
		return select();
	navigator.clipboard.writeText(el.textContent).then(
	    () => { button.textContent = 'Copied'; }, select);
}

function schedule() {
	clearInterval(timer);
	timer = auto.checked ? setInterval(() => load(true), 5000) : null;
}

$('#reload').addEventListener('click', () => load(false));
filter.addEventListener('input', () => {
	render();
	const u = new URL(location.href);
	if (filter.value.trim())
		u.searchParams.set('to', filter.value.trim());
	else
		u.searchParams.delete('to');
	history.replaceState(null, '', u);
});
auto.addEventListener('change', schedule);

filter.value = new URLSearchParams(location.search).get('to') || '';
load(false);
