// The search page in a real browser: Debian's headless Chromium, driven by
// playwright-core, against the real broadsheet-server on a loopback port,
// serving an index the real broadsheet-indexer built from a generated corpus.
//
//   node search_page.test.mjs --indexer PATH --server PATH --artifacts DIR [--chromium PATH]
//
// (or BROADSHEET_INDEXER_BIN, BROADSHEET_SERVER_BIN, BROADSHEET_BROWSER_ARTIFACTS,
// BROADSHEET_CHROMIUM). Screenshots of every step go into the artifacts dir.
// Without Chromium or node_modules the test exits 77 (CTest: skipped), except
// under CI (CI=true), where that is a failure.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { makeCorpus } from './corpus.mjs';

const SKIP = 77;

const { values: args } = parseArgs({
    options: {
        indexer: { type: 'string', default: process.env.BROADSHEET_INDEXER_BIN },
        server: { type: 'string', default: process.env.BROADSHEET_SERVER_BIN },
        artifacts: { type: 'string', default: process.env.BROADSHEET_BROWSER_ARTIFACTS },
        chromium: { type: 'string', default: process.env.BROADSHEET_CHROMIUM ?? '/usr/bin/chromium' },
    },
});

// Headless, as root, on a machine with no outside network (background networking,
// component updates and sync would only fail). playwright adds its own on top, among them a
// fresh temporary --user-data-dir for every launch (checked below).
const CHROMIUM_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const QUERY = 'harbour';
const FACET = 'shipping';

function unavailable(why) {
    if (process.env.CI === 'true') {
        console.error(`browser test: ${why}; under CI this is a failure (scripts/install-deps installs it)`);
        process.exit(1);
    }
    console.log(`browser test SKIPPED: ${why} (run scripts/install-deps)`);
    process.exit(SKIP);
}

for (const [name, value] of Object.entries({ indexer: args.indexer, server: args.server, artifacts: args.artifacts })) {
    if (!value) {
        console.error(`browser test: --${name} is required`);
        process.exit(2);
    }
}
try {
    fs.accessSync(args.chromium, fs.constants.X_OK);
} catch {
    unavailable(`no Chromium at ${args.chromium} (Debian package chromium)`);
}
let chromium;
try {
    ({ chromium } = await import('playwright-core'));
} catch {
    unavailable(`playwright-core is not installed (npm ci --prefix ${import.meta.dirname})`);
}

// Whatever happens, the server and the browser must not outlive the test.
const DEADLINE_MS = 90_000;
let server;
let browser;
let scratch;
function cleanUpNow() {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
process.on('exit', cleanUpNow);
// playwright kills its browser when this process exits.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
        console.error(`browser test: ${signal}; stopping`);
        process.exit(1);
    });
}
const watchdog = setTimeout(async () => {
    console.error(`browser test: still running after ${DEADLINE_MS / 1000} s; stopping`);
    await Promise.race([browser?.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5000))]);
    process.exit(1);
}, DEADLINE_MS);
watchdog.unref();

let baseUrl;
let serverLog = '';

function shotPath(name) {
    return path.join(args.artifacts, `${name}.png`);
}

// Saves a screenshot (of the whole page unless told otherwise) into the artifacts dir.
async function shot(page, name, { fullPage = true } = {}) {
    await page.screenshot({ path: shotPath(name), fullPage });
}

// Runs one step; on failure keeps a screenshot of where it stopped.
async function step(t, page, name, body) {
    await t.test(name, async () => {
        try {
            await body();
        } catch (error) {
            await page.screenshot({ path: shotPath(`FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}`), fullPage: true }).catch(() => {});
            throw error;
        }
    });
}

async function startServer(indexDir) {
    server = spawn(args.server, ['--index', indexDir, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const port = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start; log:\n${serverLog}`)), 20_000);
        const read = (chunk) => {
            serverLog += chunk;
            const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(serverLog);
            if (match) {
                clearTimeout(timer);
                resolve(Number(match[1]));
            }
        };
        server.stdout.setEncoding('utf8').on('data', read);
        server.stderr.setEncoding('utf8').on('data', read);
        server.on('exit', (code) => reject(new Error(`server exited (${code}); log:\n${serverLog}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    // Listening is not yet ready: wait until the index is open.
    const until = Date.now() + 10_000;
    while ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) {
        if (Date.now() > until) throw new Error(`server not ready; log:\n${serverLog}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return url;
}

// Chromium's browser process: the child of this process running the chromium binary.
function chromiumCommandLine() {
    for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
        try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid !== process.pid) continue;
            const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
            if (argv.some((arg) => arg.startsWith('--remote-debugging-pipe'))) return argv;
        } catch {
            // The process went away while we looked.
        }
    }
    return null;
}

// "48 results (0.21 ms)" -> 48
async function resultCount(page) {
    const text = await page.locator('main [role=status]').first().textContent();
    const match = /(\d+) results?/.exec(text ?? '');
    assert.ok(match, `no result count in ${JSON.stringify(text)}`);
    return Number(match[1]);
}

async function hitIds(page) {
    const hrefs = await page.locator('ol.hits h2 a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    return hrefs.map((href) => decodeURIComponent(href.split('?')[0].replace('/articles/', '')));
}

// The accessibility checks every page must pass; returns the problems found.
async function accessibilityProblems(page, { wantNav }) {
    return page.evaluate((wantNavigation) => {
        const problems = [];
        const nameOf = (el) => {
            const labelledBy = el.getAttribute('aria-labelledby');
            if (labelledBy) return labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
            return (el.getAttribute('aria-label') ?? '').trim() || [...(el.labels ?? [])].map((l) => l.textContent).join(' ').trim();
        };
        if (!document.documentElement.lang) problems.push('<html> has no lang');
        if (!document.title.trim()) problems.push('the page has no title');
        for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
            if (!nameOf(el)) problems.push(`${el.outerHTML.slice(0, 80)} has no label`);
        }
        for (const el of document.querySelectorAll('button')) {
            if (!el.textContent.trim() && !nameOf(el)) problems.push(`${el.outerHTML.slice(0, 80)} has no name`);
        }
        for (const el of document.querySelectorAll('a[href]')) {
            if (!el.textContent.trim() && !nameOf(el)) problems.push(`${el.outerHTML.slice(0, 80)} has no text`);
        }
        for (const el of document.querySelectorAll('img:not([alt])')) problems.push(`${el.outerHTML.slice(0, 80)} has no alt`);
        const count = (selector) => document.querySelectorAll(selector).length;
        if (count('main, [role=main]') !== 1) problems.push('not exactly one main landmark');
        if (count('header[role=banner], body > header') < 1) problems.push('no banner landmark');
        if (count('search, [role=search]') < 1) problems.push('no search landmark');
        if (wantNavigation && count('nav[aria-label], [role=navigation][aria-label]') < 1) problems.push('no labelled navigation landmark');
        // Several navigation landmarks must be told apart by their labels.
        const navLabels = [...document.querySelectorAll('nav')].map((nav) => nav.getAttribute('aria-label'));
        if (navLabels.length > 1 && new Set(navLabels).size !== navLabels.length) problems.push('navigation landmarks share a label');
        if (count('h1') !== 1) problems.push(`${count('h1')} h1 headings, not one`);
        return problems;
    }, wantNav);
}

// No sideways scrolling at the page's width.
async function scrollsSideways(page) {
    return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

before(async () => {
    fs.mkdirSync(args.artifacts, { recursive: true });
    for (const old of fs.readdirSync(args.artifacts)) {
        if (old.endsWith('.png')) fs.rmSync(path.join(args.artifacts, old));
    }
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'broadsheet-browser-'));
    const corpus = path.join(scratch, 'corpus.jsonl');
    fs.writeFileSync(corpus, makeCorpus().map((a) => JSON.stringify(a)).join('\n') + '\n');
    execFileSync(args.indexer, ['build', '--index', path.join(scratch, 'index'), '--input', corpus], { stdio: 'pipe' });
    baseUrl = await startServer(path.join(scratch, 'index'));
    browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: CHROMIUM_FLAGS, timeout: 20_000 });
});

after(async () => {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
    fs.writeFileSync(path.join(args.artifacts, 'server.log'), serverLog);
    cleanUpNow();
    console.log(`browser test: screenshots in ${args.artifacts}`);
});

// A desktop browser context that records script errors.
async function desktop(options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (error) => page.errors.push(String(error)));
    page.on('console', (message) => {
        // Failed requests are reported with their URL below.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) page.errors.push(message.text());
    });
    page.on('response', (response) => {
        // The browser asks for /favicon.ico by itself; the server has none.
        const url = new URL(response.url());
        if (response.status() >= 400 && url.pathname !== '/favicon.ico') page.errors.push(`${response.status()} ${url.pathname}${url.search}`);
    });
    return { context, page };
}

test('Chromium runs headless with the required flags and a fresh profile', () => {
    const argv = chromiumCommandLine();
    assert.ok(argv, 'found no Chromium process started by this test');
    for (const flag of CHROMIUM_FLAGS) assert.ok(argv.includes(flag), `Chromium runs without ${flag}`);
    const profile = argv.find((arg) => arg.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
    assert.ok(profile, 'Chromium runs without --user-data-dir');
    assert.ok(profile.startsWith(os.tmpdir()), `profile ${profile} is not a temporary directory`);
});

test('search, facet, next page, article and related articles', async (t) => {
    const { context, page } = await desktop();
    let total;
    let filtered;
    let firstPage;
    try {
        await step(t, page, 'the home page has a search box, and typing gets suggestions', async () => {
            await page.goto(`${baseUrl}/`);
            assert.match(new URL(page.url()).pathname, /^\/search$/);
            await shot(page, '01-home');
            const box = page.getByLabel('Search articles', { exact: true });
            await box.click();
            await page.keyboard.type(QUERY.slice(0, 4), { delay: 30 });
            // The datalist fills from /suggest as the user types.
            await page.waitForFunction(() => document.querySelectorAll('#suggestions option').length > 0);
            const options = await page.locator('#suggestions option').evaluateAll((list) => list.map((o) => o.value));
            assert.ok(options.includes(QUERY), `suggestions for "${QUERY.slice(0, 4)}": ${options}`);
            await shot(page, '02-typing');
        });

        await step(t, page, 'Enter submits the query and shows highlighted results', async () => {
            await page.keyboard.type(QUERY.slice(4));
            await Promise.all([page.waitForURL(/\/search\?q=harbour/), page.keyboard.press('Enter')]);
            total = await resultCount(page);
            assert.equal(total, 48);
            assert.equal(await page.locator('ol.hits > li').count(), 10);
            const marks = page.locator('ol.hits mark');
            assert.ok((await marks.count()) >= 10, 'results have fewer than ten <mark>s');
            await assert.doesNotReject(marks.first().waitFor({ state: 'visible' }));
            assert.match((await marks.first().textContent()).toLowerCase(), /harbour/);
            // The highlight is painted, not just present.
            const background = await marks.first().evaluate((el) => getComputedStyle(el).backgroundColor);
            assert.notEqual(background, 'rgba(0, 0, 0, 0)');
            assert.equal(await page.getByLabel('Search articles', { exact: true }).inputValue(), QUERY);
            firstPage = await hitIds(page);
            await shot(page, '03-results');
        });

        await step(t, page, 'a topic facet narrows the results and shows as active', async () => {
            const topics = page.locator('aside.facets section', { has: page.getByRole('heading', { name: 'Topics' }) });
            const facet = topics.locator('li', { has: page.getByRole('link', { name: FACET, exact: true }) });
            const shown = Number(await facet.locator('.count').textContent());
            assert.ok(shown > 10 && shown < total, `facet count ${shown} of ${total}`);
            await Promise.all([page.waitForURL(/tag=shipping/), facet.getByRole('link').click()]);
            filtered = await resultCount(page);
            assert.ok(filtered < total, `the count went from ${total} to ${filtered}`);
            assert.equal(filtered, shown);
            const active = page.locator('aside.facets a.active');
            assert.equal(await active.count(), 1);
            assert.match(await active.textContent(), /shipping/);
            assert.equal(await active.getAttribute('aria-label'), `Remove filter ${FACET}`);
            // Every hit on the page carries the tag.
            for (const tags of await page.locator('ol.hits article').evaluateAll((hits) =>
                hits.map((hit) => [...hit.querySelectorAll('a.tag')].map((a) => a.textContent)))) {
                assert.ok(tags.includes(FACET), `a hit tagged ${tags} under the ${FACET} filter`);
            }
            await shot(page, '04-facet');
        });

        await step(t, page, 'Next shows page 2 with other results and the filter kept', async () => {
            const pageOneIds = await hitIds(page);
            await Promise.all([page.waitForURL(/page=2/), page.locator('nav.pages a[rel=next]').click()]);
            assert.equal(await page.locator('nav.pages [aria-current=page]').textContent(), '2');
            assert.equal(await page.locator('ol.hits').getAttribute('start'), '11');
            assert.equal(await resultCount(page), filtered);
            assert.match(page.url(), /tag=shipping/);
            const pageTwoIds = await hitIds(page);
            assert.equal(pageTwoIds.length, 10);
            assert.deepEqual(pageTwoIds.filter((id) => pageOneIds.includes(id)), [], 'page 2 repeats page 1');
            assert.ok((await page.locator('ol.hits mark').count()) > 0);
            await shot(page, '05-page-2');
        });

        await step(t, page, 'a result opens its article with the query marked and related articles', async () => {
            const link = page.locator('ol.hits h2 a').first();
            const title = (await link.textContent()).trim();
            const id = (await hitIds(page))[0];
            await Promise.all([page.waitForURL(/\/articles\//), link.click()]);
            assert.equal(new URL(page.url()).pathname, `/articles/${id}`);
            assert.equal((await page.getByRole('heading', { level: 1 }).textContent()).trim(), title);
            const marks = page.locator('article.full mark');
            assert.ok((await marks.count()) >= 2, 'the article has too few <mark>s');
            assert.match((await marks.first().textContent()).toLowerCase(), /harbour/);
            const related = page.getByRole('region', { name: 'Related articles' }).getByRole('link');
            assert.ok((await related.count()) >= 1, 'no related articles');
            const relatedIds = await related.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
            assert.ok(!relatedIds.includes(`/articles/${id}`), 'the article is related to itself');
            await shot(page, '06-article');
            // A related article opens too.
            const next = related.first();
            const nextTitle = (await next.textContent()).trim();
            await Promise.all([page.waitForURL((url) => url.pathname !== `/articles/${id}`), next.click()]);
            assert.equal((await page.getByRole('heading', { level: 1 }).textContent()).trim(), nextTitle);
            await shot(page, '07-related-article');
        });

        await t.test('no script errors on the way', () => {
            assert.deepEqual(page.errors, []);
            assert.ok(firstPage?.length === 10);
        });
    } finally {
        await context.close();
    }
});

test('three clicks from the home page: a topic, a year, an article', async (t) => {
    const { context, page } = await desktop();
    try {
        let topicCount;
        await step(t, page, 'click 1: a topic listed on the home page', async () => {
            await page.goto(`${baseUrl}/search`);
            const topics = page.getByRole('region', { name: 'Browse by topic' });
            const topic = topics.locator('li', { has: page.getByRole('link', { name: FACET, exact: true }) });
            topicCount = Number(await topic.locator('.count').textContent());
            assert.ok(topicCount > 10, `the home page lists ${FACET} with ${topicCount} articles`);
            await shot(page, '16-home-browse');
            await Promise.all([page.waitForURL(/q=tag/), topic.getByRole('link').click()]);
            assert.equal(await resultCount(page), topicCount);
        });
        let year;
        await step(t, page, 'click 2: a year in the sidebar', async () => {
            const years = page.locator('aside.facets section', { has: page.getByRole('heading', { name: 'Years' }) });
            const entry = years.locator('li').first();
            year = (await entry.getByRole('link').textContent()).trim();
            const count = Number(await entry.locator('.count').textContent());
            await Promise.all([page.waitForURL(new RegExp(`year=${year}`)), entry.getByRole('link').click()]);
            assert.equal(await resultCount(page), count);
            assert.ok(count < topicCount);
            await shot(page, '17-browse-topic-year');
        });
        await step(t, page, 'click 3: the article, from that topic and year', async () => {
            const link = page.locator('ol.hits h2 a').first();
            await Promise.all([page.waitForURL(/\/articles\//), link.click()]);
            const tags = await page.locator('article.full a.tag, article.full a[href*="tag="]').allTextContents();
            assert.ok(tags.map((tag) => tag.trim()).includes(FACET), `article tags: ${tags}`);
            assert.match(await page.locator('article.full').textContent(), new RegExp(year));
            await shot(page, '18-browse-article');
        });
        await t.test('no script errors on the way', () => assert.deepEqual(page.errors, []));
    } finally {
        await context.close();
    }
});

test('accessible: labels, landmarks, keyboard only', async (t) => {
    const { context, page } = await desktop();
    try {
        await step(t, page, 'home, results and article pages pass the checks', async () => {
            await page.goto(`${baseUrl}/search`);
            assert.deepEqual(await accessibilityProblems(page, { wantNav: false }), [], 'home page');
            await page.goto(`${baseUrl}/search?q=${QUERY}`);
            assert.deepEqual(await accessibilityProblems(page, { wantNav: true }), [], 'results page');
            // Result count changes are announced.
            assert.equal(await page.locator('main [role=status]').count(), 1);
            await page.goto(`${baseUrl}/articles/harbour-001?q=${QUERY}`);
            assert.deepEqual(await accessibilityProblems(page, { wantNav: false }), [], 'article page');
            // A search that cannot be run gets a page that says why, announced as an alert.
            const response = await page.goto(`${baseUrl}/search?q=${QUERY}&size=1000`);
            assert.equal(response.status(), 400);
            assert.match(await page.getByRole('alert').textContent(), /could not be run/);
            assert.equal(await page.getByLabel('Search articles', { exact: true }).inputValue(), QUERY);
            assert.deepEqual(await accessibilityProblems(page, { wantNav: false }), [], 'error page');
            await shot(page, '09-error-page');
        });

        await step(t, page, 'the keyboard alone reaches the search box, searches and opens a result', async () => {
            await page.goto(`${baseUrl}/search`);
            await page.keyboard.press('Tab');
            assert.equal(await page.evaluate(() => document.activeElement?.id), 'q', 'Tab does not reach the search box first');
            // The focus is visible.
            const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
            assert.notEqual(outline, 'none');
            await page.keyboard.type(QUERY);
            await Promise.all([page.waitForURL(/\/search\?q=/), page.keyboard.press('Enter')]);
            assert.equal(await resultCount(page), 48);
            // Tab on to the first result's title and follow it with Enter.
            let reached = false;
            for (let i = 0; i < 40 && !reached; ++i) {
                await page.keyboard.press('Tab');
                reached = await page.evaluate(() => document.activeElement?.matches('ol.hits h2 a') ?? false);
            }
            assert.ok(reached, 'Tab never reached a result');
            await shot(page, '08-keyboard-focus', { fullPage: false });
            await Promise.all([page.waitForURL(/\/articles\//), page.keyboard.press('Enter')]);
            assert.ok((await page.locator('article.full mark').count()) > 0);
        });

        await step(t, page, 'the facet links can be reached and used with the keyboard', async () => {
            await page.goto(`${baseUrl}/search?q=${QUERY}`);
            let reached = false;
            for (let i = 0; i < 80 && !reached; ++i) {
                await page.keyboard.press('Tab');
                reached = await page.evaluate(() => document.activeElement?.closest('aside.facets') != null);
            }
            assert.ok(reached, 'Tab never reached the facets');
            await Promise.all([page.waitForURL(/tag=|year=/), page.keyboard.press('Enter')]);
            assert.ok((await resultCount(page)) < 48);
        });
    } finally {
        await context.close();
    }
});

test('readable on a phone (390 px wide)', async (t) => {
    const context = await browser.newContext({
        viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    try {
        for (const [name, url] of [
            ['10-phone-home', '/search'],
            ['11-phone-results', `/search?q=${QUERY}`],
            ['13-phone-article', `/articles/harbour-002?q=${QUERY}`],
        ]) {
            await step(t, page, `${url} fits the width`, async () => {
                await page.goto(`${baseUrl}${url}`);
                assert.equal(await page.evaluate(() => window.innerWidth), 390);
                const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
                assert.ok(!(await scrollsSideways(page)), `scrollWidth ${widths[0]} > innerWidth ${widths[1]}`);
                const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
                assert.ok(fontSize >= 16, `body text is ${fontSize}px`);
                await shot(page, name, { fullPage: false });
            });
        }
        await step(t, page, 'results come before the facets', async () => {
            await page.goto(`${baseUrl}/search?q=${QUERY}`);
            const results = await page.locator('.results').boundingBox();
            const facets = await page.locator('aside.facets').boundingBox();
            assert.ok(results.y < facets.y, 'the facets are above the results');
            await page.locator('nav.pages').scrollIntoViewIfNeeded();
            await shot(page, '12-phone-results-pages-and-facets', { fullPage: false });
            // The search box and button are on screen and big enough to tap.
            const box = await page.getByLabel('Search articles', { exact: true }).boundingBox();
            const button = await page.getByRole('button', { name: 'Search' }).boundingBox();
            assert.ok(box.x >= 0 && button.x + button.width <= 390, 'the search form is wider than the screen');
            assert.ok(box.height >= 24 && button.height >= 24, 'the search form is too small to tap');
        });
    } finally {
        await context.close();
    }
});

test('works with JavaScript off', async (t) => {
    const { context, page } = await desktop({ javaScriptEnabled: false });
    const suggestRequests = [];
    page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/suggest') suggestRequests.push(request.url());
    });
    try {
        await step(t, page, 'the form submits and the results, facets and pages work', async () => {
            await page.goto(`${baseUrl}/search`);
            await page.getByLabel('Search articles', { exact: true }).fill(QUERY);
            await Promise.all([page.waitForURL(/\/search\?q=harbour/), page.getByRole('button', { name: 'Search' }).click()]);
            assert.equal(await resultCount(page), 48);
            assert.ok((await page.locator('ol.hits mark').count()) >= 10);
            await shot(page, '14-no-js-results');
            await Promise.all([page.waitForURL(/tag=shipping/), page.locator('aside.facets').getByRole('link', { name: FACET, exact: true }).click()]);
            assert.ok((await resultCount(page)) < 48);
            await Promise.all([page.waitForURL(/page=2/), page.locator('nav.pages a[rel=next]').click()]);
            assert.equal(await page.locator('nav.pages [aria-current=page]').textContent(), '2');
            await Promise.all([page.waitForURL(/\/articles\//), page.locator('ol.hits h2 a').first().click()]);
            assert.ok((await page.locator('article.full mark').count()) > 0);
            assert.ok((await page.getByRole('region', { name: 'Related articles' }).getByRole('link').count()) >= 1);
            await shot(page, '15-no-js-article');
        });
        await t.test('no autocomplete requests without JavaScript', () => {
            assert.deepEqual(suggestRequests, []);
        });
    } finally {
        await context.close();
    }
});
