// register.html: POST /customers (anonymous registration, contract §3.2).
import { h, $, say, busy, values } from './dom.js';
import { send, doc, showError } from './api.js';
import { frame, fieldErrors } from './page.js';

frame();
const form = $('#register'), msg = $('#msg');

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	busy(form, async () => {
		const v = values(form);
		const attrs = { firstName: v.firstName, lastName: v.lastName, email: v.email,
			password: v.password, confirmPassword: v.confirmPassword,
			acceptedTerms: v.acceptedTerms };
		if (v.salutation)
			attrs.salutation = v.salutation;
		if (v.locale)	/* none: the server's default_locale (contract §10.9) */
			attrs.locale = v.locale;
		say(msg, 'busy', 'Registering…');
		const ex = await send({ method: 'POST', path: 'customers', body: doc('customers', attrs),
			summary: (x) => x.status === 201 ? `Customer ${x.json.data.id} registered.` : null });
		fieldErrors(form, ex);
		if (ex.status === 201) {
			const ref = ex.json.data.id;
			say(msg, 'ok', 'Registered as ', h('strong', { id: 'new-ref', text: ref }), '. ',
			    h('a', { href: `signin.html?email=${encodeURIComponent(v.email)}`, id: 'go-signin',
				text: 'Sign in now' }), '.');
			form.elements.password.value = '';
			form.elements.confirmPassword.value = '';
		} else {
			showError(msg, ex, 'Not registered:');
		}
	});
});
