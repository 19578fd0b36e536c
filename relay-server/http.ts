/**
 * The relay's HTTP side: health and readiness probes, Prometheus metrics and the invite landing
 * page. The landing page never sees the invite secret on the server: it sits in the URL fragment,
 * which browsers do not send; only the page's script reads it, to hand it to VS Code.
 */
import { randomBytes } from 'node:crypto';
import express, { type Express, type Response } from 'express';
import { EXTENSION_URI_AUTHORITY, JOIN_PATH, SessionIdSchema } from '../protocol';
import type { RelayMetrics } from './metrics';

export interface HttpOptions {
  readonly metrics: RelayMetrics;
  /**
   * `ready`, or why not: shutting down, or (with Redis) this process's connection to the shared
   * state is down. Anything but `ready` is a 503 on /readyz, so load balancers move traffic on.
   */
  readonly readiness: () => string;
}

export function createHttpApp(options: HttpOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_request, response) => {
    response.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  app.get('/readyz', (_request, response) => {
    const status = options.readiness();
    response.set('Cache-Control', 'no-store').status(status === 'ready' ? 200 : 503).json({ status });
  });

  app.get('/metrics', (_request, response, next) => {
    options.metrics.registry.metrics().then((text) => {
      response.set('Content-Type', options.metrics.registry.contentType).send(text);
    }, next);
  });

  app.get(`${JOIN_PATH}:session`, (request, response) => {
    const session = request.params.session;
    if (!SessionIdSchema.safeParse(session).success) {
      sendPage(response, 404, 'Not a Pairline invite', '<h1>Not a Pairline invite</h1><p>This link does not contain a valid session id. Ask the host to copy the invite link again.</p>');
      return;
    }
    sendJoinPage(response);
  });

  app.use((_request, response) => {
    sendPage(response, 404, 'Not found', '<h1>Not found</h1><p>This is a Pairline relay. Invite links look like <code>/join/SESSION#s=…</code>.</p>');
  });

  return app;
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
input{width:100%;font:14px monospace;padding:.4rem;box-sizing:border-box}button,a.button{font:inherit;padding:.4rem .9rem;margin:.5rem .5rem 0 0;display:inline-block}
.hidden{display:none}code{background:#f0f0f0;padding:0 .2rem}`;

function sendPage(response: Response, status: number, title: string, body: string, script = ''): void {
  const nonce = randomBytes(16).toString('base64');
  response
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    })
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style nonce="${nonce}">${STYLE}</style></head><body>${body}${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`);
}

function sendJoinPage(response: Response): void {
  const body = `<h1>Join a Pairline session</h1>
<p id="status">Opening VS Code…</p>
<p id="hint" class="hidden"></p>
<p><a id="open" class="button" href="#">Open in VS Code</a></p>
<div id="manual"><p>If nothing opened, copy this link and run <b>Pairline: Join Session…</b> in VS Code's command palette, then paste it:</p>
<input id="link" readonly><button id="copy" type="button">Copy link</button></div>
<p id="broken" class="hidden">This invite link is incomplete: the part after <code>#</code> is missing. Ask the host to copy the whole link again.</p>
<p id="expired" class="hidden"></p>`;
  // The fragment (invite secret, payload key) is read here, in the browser, and never sent anywhere
  // but into the vscode:// link.
  const script = `(function(){
var d=document,p=location.pathname,i=p.lastIndexOf(${JSON.stringify(JOIN_PATH)});
var relay=location.origin+p.slice(0,i),session=p.slice(i+${JOIN_PATH.length}).replace(/\\/+$/,'');
var fragment=location.hash.replace(/^#/,'');
if(!/(^|&)s=[A-Za-z0-9_-]{22,}/.test(fragment)){d.getElementById('status').className='hidden';d.getElementById('open').className='hidden';d.getElementById('manual').className='hidden';d.getElementById('broken').className='';return;}
// The link's r=/e= hints (the relay enforces both; these only explain): an expired link is not
// handed to VS Code at all.
var hints={};fragment.split('&').forEach(function(pair){var at=pair.indexOf('=');if(at>0)hints[pair.slice(0,at)]=pair.slice(at+1);});
var notes=[];
if(/^[0-9]{13}$/.test(hints.e||'')){var until=new Date(Number(hints.e));
if(until.getTime()<=Date.now()){d.getElementById('status').className='hidden';d.getElementById('open').className='hidden';d.getElementById('manual').className='hidden';
var expired=d.getElementById('expired');expired.textContent='This invite link expired at '+until.toLocaleString()+'. Ask the host for a new one.';expired.className='';return;}
notes.push('This link works until '+until.toLocaleString()+'.');}
if(hints.r==='viewer')notes.push('You will join as a viewer: you can watch and follow, not edit.');
if(notes.length){var hint=d.getElementById('hint');hint.textContent=notes.join(' ');hint.className='';}
var target='vscode://${EXTENSION_URI_AUTHORITY}/join?relay='+encodeURIComponent(relay)+'&session='+encodeURIComponent(session)+'#'+fragment;
d.getElementById('open').href=target;
var input=d.getElementById('link');input.value=location.href;
d.getElementById('copy').addEventListener('click',function(){input.select();
if(navigator.clipboard){navigator.clipboard.writeText(input.value).then(function(){d.getElementById('copy').textContent='Copied';});}else{d.execCommand('copy');}});
location.href=target;
setTimeout(function(){d.getElementById('status').textContent='VS Code did not open? Use the button, or paste the link into VS Code.';},1500);
})();`;
  sendPage(response, 200, 'Join a Pairline session', body, script);
}
