// office-rescue.html: POST /backend/customer-multi-factor-auth-type-
// deactivate (contract §3.3), for a customer locked out of a method; with
// "Every active method" (the default) the request has no type and every
// active method goes (contract §10.7).  A protected Backend action: the
// administrator's own code when their MFA is on.
import { h, $, say, busy, values, clear } from './dom.js';
import { call, doc, showError, errorCode } from './api.js';
import { frame, requireSession, fieldErrors } from './page.js';
import { protectedCall } from './prompt.js';

frame();
const form = $('#rescue'), msg = $('#msg'), select = $('#type');

// The methods the server offers (the Backend list: both sides share it).
async function methods() {
	const ex = await call({ side: 'backend', path: 'multi-factor-auth-types', quiet: true });
	const ids = ex.status === 200 ? ex.json.data.map((m) => m.id) : ['email'];
	clear(select);
	select.append(h('option', { value: '', text: 'Every active method' }));
	for (const id of ids)
		select.append(h('option', { value: id, text: id }));
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	busy(form, async () => {
		const v = values(form);
		const every = v.type === '';
		const what = every ? 'Every active method' : v.type;
		const attrs = { customerReference: v.customerReference };
		if (!every)
			attrs.type = v.type;
		say(msg, 'busy', every ? 'Switching every method off…' : 'Switching the method off…');
		const ex = await protectedCall({ side: 'backend', method: 'POST',
			path: 'customer-multi-factor-auth-type-deactivate',
			body: doc('customer-multi-factor-auth-type-deactivate', attrs),
			summary: (x) => x.status === 204 ? `${what} switched off for ${v.customerReference}.` : null },
		    'Switching off a customer\'s method');
		fieldErrors(form, ex);
		if (ex === null)
			say(msg, 'info', 'Cancelled; nothing changed.');
		else if (ex.status === 204)
			say(msg, 'ok', `${what} is switched off for customer ${v.customerReference}. The customer was told by e-mail.`);
		else if (errorCode(ex) === '5906')
			say(msg, 'err', every ? 'Not switched off: no method is switched on for this customer.' :
			    `Not switched off: ${v.type} is not switched on for this customer (or not offered).`);
		else if (errorCode(ex) === '5907')
			say(msg, 'err', 'Not switched off: no customer has that reference.');
		else
			showError(msg, ex, 'Not switched off:');
	});
});

if (requireSession('backend', $('#content')))
	methods();
