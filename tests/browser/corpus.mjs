// A deterministic corpus for the browser test: enough articles about one
// subject ("harbour") for several pages of results, with topics (tags) and
// years of different sizes so that a facet narrows the results, and shared
// distinctive words so that articles have related articles.

// mulberry32: a small seeded generator, so every run indexes the same text.
function generator(seed) {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const towns = ['Kirkwall', 'Falmouth', 'Oban', 'Whitby', 'Tenby', 'Mallaig', 'Padstow', 'Stornoway', 'Lerwick', 'Fishguard'];
const weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Each story kind: its tags, a title and paragraphs, from a few template choices.
const harbourStories = [
    {
        tags: ['shipping', 'weather'],
        title: (s) => `${s.town} harbour reopens after storm damage`,
        subtitle: (s) => `Ferries resume on ${s.day} once divers have checked the quay`,
        body: (s) => [
            `The harbour at ${s.town} reopened on ${s.day} after a storm tore loose two pontoons and flooded the fish market.`,
            `Ferry operators said ${s.n} crossings were cancelled while divers inspected the quay wall for cracks.`,
            `The harbour master warned that gales are forecast again next week and asked skippers to double their mooring lines.`,
        ],
    },
    {
        tags: ['shipping', 'economy'],
        title: (s) => `Cargo through ${s.town} harbour rises for a ${s.ordinal} year`,
        subtitle: () => 'Timber and grain lead the growth at the quayside',
        body: (s) => [
            `Cargo handled at ${s.town} harbour rose by ${s.pct} per cent, the port authority said, led by timber and grain shipments.`,
            `Container volumes were flat, but the harbour board expects new cranes to attract larger feeder vessels.`,
            `Dock workers have agreed a pay deal that runs until the end of next year.`,
        ],
    },
    {
        tags: ['shipping', 'local'],
        title: (s) => `Dredging to deepen the channel into ${s.town} harbour`,
        subtitle: (s) => `£${s.n}m scheme lets bigger ferries berth at low tide`,
        body: (s) => [
            `Dredging will begin in the spring to deepen the approach channel into ${s.town} harbour by two metres.`,
            `The work, costing £${s.n}m, lets larger ferries and cruise ships berth at low tide instead of waiting offshore.`,
            `Fishermen have raised concerns that the dredged silt could be dumped near their lobster grounds.`,
        ],
    },
    {
        tags: ['local', 'environment'],
        title: (s) => `Seals return to ${s.town} harbour as water quality improves`,
        subtitle: () => 'Volunteers count the highest numbers for a decade',
        body: (s) => [
            `Volunteers counted ${s.n} grey seals resting on the slipways of ${s.town} harbour this summer, the most for a decade.`,
            `Marine biologists credit the new sewage works, which stopped untreated outflows into the harbour basin.`,
            `Visitors are asked to keep their distance and to keep dogs on leads along the seawall.`,
        ],
    },
    {
        tags: ['local', 'economy'],
        title: (s) => `Fishing fleet at ${s.town} harbour lands a record catch`,
        subtitle: () => 'Mackerel prices hold up despite the bigger haul',
        body: (s) => [
            `Trawlers landed a record ${s.n} tonnes of mackerel and herring at ${s.town} harbour last month.`,
            `The fish market auctioneer said prices held up because buyers from the continent returned after the winter.`,
            `Skippers want the council to repair the ice plant on the harbour quay before the next season.`,
        ],
    },
    {
        tags: ['shipping', 'environment'],
        title: (s) => `Shore power for ferries at ${s.town} harbour`,
        subtitle: () => 'Ships can switch off their engines while they are berthed',
        body: (s) => [
            `Ferries berthed at ${s.town} harbour will plug into shore power from next year instead of running their diesel engines.`,
            `The port authority says the scheme cuts harbour emissions by ${s.pct} per cent and quietens the quayside at night.`,
            `Cruise ships will follow once the second substation on the breakwater is finished.`,
        ],
    },
];

const otherStories = [
    {
        tags: ['energy', 'environment'],
        title: (s) => `Wind farm off ${s.town} wins planning consent`,
        subtitle: () => 'Turbines would power a hundred thousand homes',
        body: (s) => [
            `Ministers approved an offshore wind farm of ${s.n} turbines twelve miles off ${s.town}.`,
            `Campaigners worry about seabirds, while the developer promises a maintenance base and local jobs.`,
        ],
    },
    {
        tags: ['education', 'local'],
        title: (s) => `New secondary school opens in ${s.town}`,
        subtitle: () => 'Pupils move from temporary classrooms',
        body: (s) => [
            `Pupils in ${s.town} started the term in a new secondary school after three years in temporary classrooms.`,
            `The head teacher said the science laboratories and the library were the first rooms to fill up.`,
        ],
    },
];

const ordinals = ['second', 'third', 'fourth', 'fifth'];

function storyFields(random) {
    const pick = (list) => list[Math.floor(random() * list.length)];
    return {
        town: pick(towns),
        day: pick(weekdays),
        n: 2 + Math.floor(random() * 60),
        pct: 3 + Math.floor(random() * 20),
        ordinal: pick(ordinals),
    };
}

function article(id, story, fields, random) {
    const year = 2015 + Math.floor(random() * 10);
    const month = String(1 + Math.floor(random() * 12)).padStart(2, '0');
    const day = String(1 + Math.floor(random() * 28)).padStart(2, '0');
    return {
        id,
        title: story.title(fields),
        subtitle: story.subtitle(fields),
        body: story.body(fields),
        date: `${year}-${month}-${day}`,
        url: `https://news.example.org/${year}/${month}/${id}`,
        tags: story.tags,
    };
}

/// 48 articles about harbours (several pages), 12 about other things.
export function makeCorpus() {
    const random = generator(20240517);
    const articles = [];
    for (let i = 0; i < 48; ++i) {
        const story = harbourStories[i % harbourStories.length];
        articles.push(article(`harbour-${String(i + 1).padStart(3, '0')}`, story, storyFields(random), random));
    }
    for (let i = 0; i < 12; ++i) {
        const story = otherStories[i % otherStories.length];
        articles.push(article(`other-${String(i + 1).padStart(3, '0')}`, story, storyFields(random), random));
    }
    return articles;
}
