// Screenshots of the pages for the documentation: the home page, a results
// page and an article page, at desktop (1280 px) and phone (390 px) widths,
// and the results page in dark mode, from the real indexer and server
// driving Debian's headless Chromium.
//
//   node screenshots.mjs --indexer PATH --server PATH --out DIR
//        [--corpus FILE.jsonl] [--query WORDS] [--site-name NAME] [--chromium PATH]
//
// Without --corpus it indexes the browser test's generated corpus
// (corpus.mjs); docs/screenshots are taken of the demo's State of the Union
// corpus (scripts/demo writes data/sotu.jsonl), with --query "federal budget".

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

import { makeCorpus } from './corpus.mjs';

const { values: args } = parseArgs({
    options: {
        indexer: { type: 'string' },
        server: { type: 'string' },
        out: { type: 'string' },
        corpus: { type: 'string' },
        query: { type: 'string', default: 'harbour' },
        'site-name': { type: 'string' },
        chromium: { type: 'string', default: process.env.BROADSHEET_CHROMIUM ?? '/usr/bin/chromium' },
    },
});
for (const name of ['indexer', 'server', 'out']) {
    if (!args[name]) {
        console.error(`screenshots: --${name} is required`);
        process.exit(2);
    }
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'];
const WIDTHS = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } };

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'broadsheet-screenshots-'));
let server;
process.on('exit', () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    fs.rmSync(scratch, { recursive: true, force: true });
});

function startServer(indexDir) {
    const flags = ['--index', indexDir, '--host', '127.0.0.1', '--port', '0'];
    if (args['site-name']) flags.push('--site-name', args['site-name']);
    server = spawn(args.server, flags, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    return new Promise((resolve, reject) => {
        const read = (chunk) => {
            log += chunk;
            const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
            if (match) resolve(`http://127.0.0.1:${match[1]}`);
        };
        server.stdout.setEncoding('utf8').on('data', read);
        server.stderr.setEncoding('utf8').on('data', read);
        server.on('exit', (code) => reject(new Error(`server exited (${code}); log:\n${log}`)));
    });
}

let corpus = args.corpus;
if (!corpus) {
    corpus = path.join(scratch, 'corpus.jsonl');
    fs.writeFileSync(corpus, makeCorpus().map((a) => JSON.stringify(a)).join('\n') + '\n');
}
const index = path.join(scratch, 'index');
execFileSync(args.indexer, ['build', '--index', index, '--input', corpus], { stdio: 'pipe' });
const base = await startServer(index);
for (let tries = 0; ; ++tries) {
    const ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (tries > 200) throw new Error('the server did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 25));
}

fs.mkdirSync(args.out, { recursive: true });
const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: FLAGS });
const results = `${base}/search?q=${encodeURIComponent(args.query)}`;
const first = await (await fetch(`${results}&size=1`)).json();
const article = `${base}/articles/${encodeURIComponent(first.hits[0].id)}?q=${encodeURIComponent(args.query)}`;
const shots = [
    ['home', `${base}/search`],
    ['results', results],
    ['article', article],
];
const written = [];
try {
    for (const [device, viewport] of Object.entries(WIDTHS)) {
        for (const scheme of device === 'desktop' ? ['light', 'dark'] : ['light']) {
            const context = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: 1 });
            const page = await context.newPage();
            for (const [name, url] of shots) {
                if (scheme === 'dark' && name !== 'results') continue;
                await page.goto(url);
                const file = path.join(args.out, `${name}-${device}${scheme === 'dark' ? '-dark' : ''}.png`);
                // The first screenful, as a reader first sees the page.
                await page.screenshot({ path: file });
                written.push(file);
            }
            await context.close();
        }
    }
} finally {
    await browser.close();
}
console.log(written.join('\n'));
process.exit(0);
