// office-users.html: GET /backend/users a page at a time (Previous and Next
// follow the answer's links.prev and links.next, contract §10.10), and the
// protected writes POST /backend/users (with the locale of the user's
// mails, contract §10.9) and PATCH /backend/users/{uuid} (block, unblock).
import { h, $, say, busy, values, clear, cell } from './dom.js';
import { call, doc, session, showError } from './api.js';
import { frame, requireSession, fieldErrors } from './page.js';
import { protectedCall } from './prompt.js';

frame();
const body = $('#users tbody'), msg = $('#msg'), form = $('#adduser'), addMsg = $('#add-msg');
const prev = $('#prev'), next = $('#next'), info = $('#pageinfo');

// Users a page shows; the server's own default is 50, its maximum 100.
const PAGE_SIZE = 20;
let current = `users?page[offset]=0&page[limit]=${PAGE_SIZE}`;
let links = {};

// A link of the answer as a path of the Backend API ("users?..."), so the
// page keeps working under whatever prefix serves it.
function pathOf(link) {
	return link ? 'users' + new URL(link).search : null;
}

async function load(quiet, path = current) {
	const ex = await call({ side: 'backend', path, quiet,
		summary: (x) => x.status === 200 ? `${x.json.data.length} user(s).` : null });
	clear(body);
	if (ex.status !== 200) {
		showError(msg, ex, 'Could not load the users:');
		return;
	}
	current = path;
	links = ex.json.links;
	const page = ex.json.meta.page, total = ex.json.meta.totalItems;
	const me = session('backend').username;
	for (const u of ex.json.data)
		body.append(row(u, u.attributes.username === me));
	info.textContent = ex.json.data.length === 0 ? `None of ${total}` :
	    `${page.offset + 1}–${page.offset + ex.json.data.length} of ${total}`;
	prev.disabled = !links.prev;
	next.disabled = !links.next;
}

function row(u, self) {
	const a = u.attributes;
	const next = a.status === 'active' ? 'blocked' : 'active';
	return h('tr', { dataset: { user: a.username } },
	    cell('User', h('strong', { class: 'ellipsis', title: a.username, text: a.username }),
		h('span', { class: 'sub', text: `${a.firstName} ${a.lastName}${self ? ' (you)' : ''}` },
		    a.locale ? h('span', { class: 'locale', title: 'The language of the mails (locale)',
			text: ` · ${a.locale}` }) : null)),
	    cell('Status', h('span', { class: `status ${a.status === 'active' ? 'activated' : 'deactivated'}`, text: a.status })),
	    cell('Created', h('time', { class: 'nowrap', datetime: a.createdAt, title: a.createdAt,
		text: a.createdAt.slice(0, 10) })),
	    h('td', { class: 'actions' }, self ? '' :
		h('button', { type: 'button', class: 'secondary small', text: next === 'blocked' ? 'Block' : 'Unblock',
		    'aria-label': `${next === 'blocked' ? 'Block' : 'Unblock'} ${a.username}`,
		    on: { click: () => setStatus(u, next) } })));
}

async function setStatus(u, status) {
	say(msg, 'busy', `Setting ${u.attributes.username} to ${status}…`);
	const ex = await protectedCall({ side: 'backend', method: 'PATCH', path: `users/${encodeURIComponent(u.id)}`,
		body: doc('users', { status }, u.id),
		summary: (x) => x.status === 200 ? `${u.attributes.username} is now ${status}.` : null },
	    `Changing a user`);
	if (ex === null)
		say(msg, 'info', 'Cancelled.');
	else if (ex.status === 200)
		say(msg, 'ok', `${u.attributes.username} is now ${status}.`);
	else
		showError(msg, ex, 'Not changed:');
	await load(true);
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	busy(form, async () => {
		const v = values(form);
		const attrs = { username: v.username, firstName: v.firstName,
			lastName: v.lastName, password: v.password };
		if (v.locale)	/* none: the server's default_locale */
			attrs.locale = v.locale;
		say(addMsg, 'busy', 'Adding…');
		const ex = await protectedCall({ side: 'backend', method: 'POST', path: 'users',
			body: doc('users', attrs),
			summary: (x) => x.status === 201 ? `User ${x.json.data.attributes.username} added.` : null },
		    'Adding a user');
		fieldErrors(form, ex);
		if (ex === null) {
			say(addMsg, 'info', 'Cancelled.');
		} else if (ex.status === 201) {
			form.reset();
			say(addMsg, 'ok', `Added ${ex.json.data.attributes.username}.`);
			await load(true);
		} else {
			showError(addMsg, ex, 'Not added:');
		}
	});
});

if (requireSession('backend', $('#content'))) {
	$('#reload').addEventListener('click', () => load(false));
	prev.addEventListener('click', () => links.prev && load(false, pathOf(links.prev)));
	next.addEventListener('click', () => links.next && load(false, pathOf(links.next)));
	load(false);
}
