// tests/browser/test_cors.py's page, served from a second origin: every
// call to the API is a cross-origin fetch (a preflight first: the JSON:API
// media type and Authorization are not CORS-safelisted).
"use strict";

const J = "application/vnd.api+json";

function body(type, attributes) {
	return JSON.stringify({ data: { type: type, attributes: attributes } });
}

async function run(q, out) {
	const api = q.get("api");
	const ref = q.get("ref");
	let r = await fetch(api + "/access-tokens", {
		method: "POST",
		headers: { "Content-Type": J, "Accept": J },
		body: body("access-tokens", { username: q.get("email"),
		    password: q.get("password") }),
	});
	out.signIn = r.status;
	out.requestId = r.headers.get("X-Request-Id");
	const token = (await r.json()).data.attributes.accessToken;
	const auth = { "Authorization": "Bearer " + token, "Accept": J,
	    "Content-Type": J };
	const patch = (name) => body("customers", { firstName: name });

	r = await fetch(api + "/customers/" + ref, { method: "PATCH",
	    headers: auth, body: patch("NoCode") });
	out.noCode = r.status;
	out.noCodeChallenge = r.headers.get("WWW-Authenticate");
	out.noCodeError = (await r.json()).errors[0].code;

	r = await fetch(api + "/multi-factor-auth-trigger", { method: "POST",
	    headers: auth, body: body("multi-factor-auth-trigger",
	    { type: "email" }) });
	out.trigger = r.status;
	r = await fetch(api + "/multi-factor-auth-trigger", { method: "POST",
	    headers: auth, body: body("multi-factor-auth-trigger",
	    { type: "email" }) });
	out.again = r.status;
	out.retryAfter = r.headers.get("Retry-After");

	// The code, from this page's own server (it reads the mail spool).
	r = await fetch("code?to=" + encodeURIComponent(q.get("email")));
	const code = (await r.text()).trim();
	out.codeRead = /^[0-9]+$/.test(code);

	r = await fetch(api + "/customers/" + ref, { method: "PATCH",
	    headers: Object.assign({ "X-MFA-Code": code }, auth),
	    body: patch("FromBrowser") });
	out.withCode = r.status;
	out.firstName = (await r.json()).data.attributes.firstName;
}

window.addEventListener("DOMContentLoaded", async () => {
	const out = {};
	try {
		await run(new URLSearchParams(location.search), out);
	} catch (e) {
		out.error = String(e);
	}
	document.getElementById("out").textContent = JSON.stringify(out);
});
