import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as nodePath from 'node:path';

/**
 * The four Luma files of Adobe's data-ingestion tutorial, as fictional, deterministic data: the
 * same bytes on every machine and every run (a seeded PRNG and fixed dates, never Math.random or
 * the clock). Names come from short lists, e-mail domains are the reserved example.* ones and
 * phone numbers use the fictional 555-01xx range.
 *
 *   luma-loyalty.json            1000 XDM individual profiles, JSON Lines
 *   luma-crm.json                1000 XDM individual profiles, JSON Lines; 600 are also members
 *   luma-products.csv            header + 60 product rows
 *   luma-offline-purchases.json  2000 XDM experience events (commerce.purchases), JSON Lines
 *
 * Custom fields sit under the tenant key `_techmarketingdemos`, as in the tutorial.
 */

export const SAMPLE_FILES = ['luma-loyalty.json', 'luma-crm.json', 'luma-products.csv', 'luma-offline-purchases.json'] as const;

export interface SampleOptions {
  seed?: number;
  loyaltyMembers?: number;
  crmCustomers?: number;
  purchases?: number;
}

const TENANT = '_techmarketingdemos';
const DAY = 86_400_000;

/** sfc32: small, fast, and the same sequence in every JavaScript engine. */
class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A version-4-shaped UUID made of PRNG bits. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = '89ab'[this.int(0, 3)];
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

const FIRST_NAMES = [
  'Ava', 'Liam', 'Olivia', 'Noah', 'Emma', 'Mateo', 'Sofia', 'Lucas', 'Mia', 'Ethan', 'Chloé', 'José',
  'Zoë', 'Renée', 'Jürgen', 'Priya', 'Kenji', 'Amara', 'Diego', 'Hannah', 'Omar', 'Ingrid', 'Tariq',
  'Lena', 'Marcus', 'Yuki', 'Fatima', 'Caleb', 'Nadia', 'Theo', 'Grace', 'Ravi', 'Elena', 'Samuel',
];
const LAST_NAMES = [
  'Anderson', 'Bennett', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Hughes', 'Ito',
  'Johansson', 'Kowalski', 'Lefèvre', 'Martin', 'Nakamura', 'Okafor', 'Patel', 'Quinn', 'Rossi',
  'Schmidt', 'Tanaka', 'Underwood', 'Vargas', 'Walsh', 'Xu', 'Young', 'Zimmermann', 'Brooks', 'Moreau',
];
const STREETS = ['Maple', 'Cedar', 'Harbor', 'Lakeview', 'Summit', 'Willow', 'Canyon', 'Orchard', 'Beacon', 'Juniper'];
const STREET_TYPES = ['St', 'Ave', 'Rd', 'Blvd', 'Ln', 'Way'];
/** [city, state, ZIP prefix] */
const CITIES: readonly (readonly [string, string, string])[] = [
  ['Portland', 'OR', '972'], ['Seattle', 'WA', '981'], ['Denver', 'CO', '802'], ['Austin', 'TX', '787'],
  ['Chicago', 'IL', '606'], ['Boston', 'MA', '021'], ['Atlanta', 'GA', '303'], ['San Jose', 'CA', '951'],
  ['Phoenix', 'AZ', '850'], ['Minneapolis', 'MN', '554'], ['Raleigh', 'NC', '276'], ['Salt Lake City', 'UT', '841'],
];
const GENDERS = ['female', 'male', 'female', 'male', 'not_specified'] as const;
const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];

/** [code, name, category, price in cents, apparel?] */
const PRODUCTS: readonly (readonly [string, string, string, number, boolean])[] = [
  ['MJ01', 'Orion Trail Jacket', "Men's Jackets", 7400, true],
  ['MJ02', 'Harbor Rain Shell', "Men's Jackets", 5900, true],
  ['MH01', 'Summit Fleece Hoodie', "Men's Hoodies", 5200, true],
  ['MS01', 'Drift Running Tee', "Men's Tees", 2400, true],
  ['MP01', 'Ridge Hiking Pant', "Men's Pants", 4800, true],
  ['MR01', 'Tempo Training Short', "Men's Shorts", 2900, true],
  ['WJ01', 'Aurora Light Jacket', "Women's Jackets", 6900, true],
  ['WH01', 'Cove Zip Hoodie', "Women's Hoodies", 4900, true],
  ['WT01', 'Breeze Yoga Tank', "Women's Tanks", 2200, true],
  ['WS01', 'Solace Studio Tee', "Women's Tees", 2600, true],
  ['WP01', 'Flow Capri Legging', "Women's Pants", 4200, true],
  ['WR01', 'Sprint Run Short', "Women's Shorts", 2700, true],
  ['GB01', 'Trailhead Backpack', 'Bags', 6400, false],
  ['GB02', 'Commuter Duffle', 'Bags', 4500, false],
  ['GW01', 'Pulse Fitness Watch', 'Watches', 8900, false],
  ['GF01', 'Balance Yoga Mat', 'Fitness Equipment', 3400, false],
  ['GF02', 'Core Kettlebell 8 kg', 'Fitness Equipment', 3900, false],
  ['GF03', 'Hydro Steel Bottle', 'Fitness Equipment', 1800, false],
  ['GE01', 'Stride Wireless Earbuds', 'Electronics', 7900, false],
  ['GE02', 'Arc Resistance Bands', 'Fitness Equipment', 2100, false],
];
const COLORS = ['Black', 'Blue', 'Gray', 'Green', 'Orange', 'Purple', 'Red', 'White'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];

interface Person {
  index: number;
  firstName: string;
  lastName: string;
  gender: string;
  birthDate: string;
  email: string;
  phone: string;
  address: { street1: string; city: string; stateProvince: string; postalCode: string; countryCode: string };
  crmId: string;
  loyaltyId: string | undefined;
}

interface Product {
  sku: string;
  name: string;
  category: string;
  color: string;
  size: string;
  priceCents: number;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ASCII e-mail local part: accents folded away (José → jose). */
function slug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

function makePeople(rng: Prng, count: number, members: number): Person[] {
  return Array.from({ length: count }, (_, index) => {
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const [city, stateProvince, zip] = rng.pick(CITIES);
    return {
      index,
      firstName,
      lastName,
      gender: rng.pick(GENDERS),
      birthDate: isoDate(Date.UTC(1950, 0, 1) + rng.int(0, 20_000) * DAY),
      email: `${slug(firstName)}.${slug(lastName)}${index + 1}@${rng.pick(EMAIL_DOMAINS)}`,
      phone: `+1-${rng.int(201, 989)}-555-01${String(rng.int(0, 99)).padStart(2, '0')}`,
      address: {
        street1: `${rng.int(1, 9999)} ${rng.pick(STREETS)} ${rng.pick(STREET_TYPES)}`,
        city,
        stateProvince,
        postalCode: `${zip}${String(rng.int(0, 99)).padStart(2, '0')}`,
        countryCode: 'US',
      },
      crmId: `CRM${String(310_000 + index * 13).padStart(7, '0')}`,
      loyaltyId: index < members ? `L${5_000_000 + index * 29}` : undefined,
    };
  });
}

function profile(p: Person, rng: Prng) {
  return {
    _id: rng.uuid(),
    person: { name: { firstName: p.firstName, lastName: p.lastName }, birthDate: p.birthDate, gender: p.gender },
    personalEmail: { address: p.email },
    mobilePhone: { number: p.phone },
    homeAddress: p.address,
  };
}

function loyaltyRecord(p: Person, rng: Prng): object {
  const points = Math.floor(rng.next() ** 2 * 60_000);
  const level = points >= 40_000 ? 'platinum' : points >= 15_000 ? 'gold' : points >= 5_000 ? 'silver' : 'bronze';
  return {
    ...profile(p, rng),
    [TENANT]: {
      identification: { core: { loyaltyId: p.loyaltyId, crmId: p.crmId, email: p.email } },
      loyalty: { points, level, joinDate: isoDate(Date.UTC(2015, 0, 1) + rng.int(0, 3_285) * DAY) },
    },
  };
}

function crmRecord(p: Person, rng: Prng): object {
  const core = p.loyaltyId === undefined ? { crmId: p.crmId, email: p.email } : { crmId: p.crmId, email: p.email, loyaltyId: p.loyaltyId };
  return {
    ...profile(p, rng),
    consents: { marketing: { email: { val: rng.chance(0.7) ? 'y' : 'n' } } },
    [TENANT]: {
      identification: { core },
      crm: { customerSince: isoDate(Date.UTC(2010, 0, 1) + rng.int(0, 5_000) * DAY), preferredChannel: rng.pick(['email', 'sms', 'store', 'none']) },
    },
  };
}

function makeProducts(rng: Prng): Product[] {
  return PRODUCTS.flatMap(([code, name, category, priceCents, apparel]) => {
    const colors = COLORS.filter((_, i) => (i + code.charCodeAt(1)) % 8 < 3);
    return colors.map((color) => {
      const size = apparel ? rng.pick(SIZES) : 'One Size';
      const sku = apparel ? `${code}-${size}-${color}` : `${code}-${color}`;
      return { sku, name: `${name} (${color})`, category, color, size, priceCents };
    });
  });
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function productsCsv(products: readonly Product[]): string {
  const rows = products.map((p) => [p.sku, p.name, p.category, p.color, p.size, (p.priceCents / 100).toFixed(2)].map(csvField).join(','));
  return ['sku,name,category,color,size,price', ...rows].join('\n') + '\n';
}

function purchaseEvents(rng: Prng, members: readonly Person[], products: readonly Product[], count: number): object[] {
  const start = Date.UTC(2024, 0, 1);
  const span = Date.UTC(2024, 6, 1) - start;
  const times = Array.from({ length: count }, () => start + Math.floor(rng.next() * (span / 1000)) * 1000).sort((a, b) => a - b);
  return times.map((time, i) => {
    const member = rng.pick(members);
    const lines = rng.int(1, 4);
    const chosen = new Set<Product>();
    while (chosen.size < lines) chosen.add(rng.pick(products));
    const items = [...chosen].map((product) => {
      const quantity = rng.int(1, 3);
      return { SKU: product.sku, name: product.name, quantity, priceTotalCents: product.priceCents * quantity };
    });
    const totalCents = items.reduce((sum, item) => sum + item.priceTotalCents, 0);
    return {
      _id: rng.uuid(),
      timestamp: isoSeconds(time),
      eventType: 'commerce.purchases',
      commerce: {
        order: { purchaseID: `POS-${String(100_000 + i)}`, priceTotal: totalCents / 100, currencyCode: 'USD' },
        purchases: { value: 1 },
      },
      productListItems: items.map(({ SKU, name, quantity, priceTotalCents }) => ({ SKU, name, quantity, priceTotal: priceTotalCents / 100 })),
      [TENANT]: { identification: { core: { loyaltyId: member.loyaltyId } } },
    };
  });
}

function jsonLines(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** The four files' contents, by file name. Pure: the same options give the same strings. */
export function buildSamples(opts: SampleOptions = {}): Record<(typeof SAMPLE_FILES)[number], string> {
  const seed = opts.seed ?? 20240601;
  const members = opts.loyaltyMembers ?? 1000;
  const crmCustomers = opts.crmCustomers ?? 1000;
  // CRM covers the last 60% of the members plus people who never joined the programme.
  const crmFrom = Math.floor(members * 0.4);
  const people = makePeople(new Prng(seed), Math.max(members, crmFrom + crmCustomers), members);
  const loyaltyRng = new Prng(seed + 1);
  const crmRng = new Prng(seed + 2);
  const products = makeProducts(new Prng(seed + 3));
  return {
    'luma-loyalty.json': jsonLines(people.slice(0, members).map((p) => loyaltyRecord(p, loyaltyRng))),
    'luma-crm.json': jsonLines(people.slice(crmFrom, crmFrom + crmCustomers).map((p) => crmRecord(p, crmRng))),
    'luma-products.csv': productsCsv(products),
    'luma-offline-purchases.json': jsonLines(purchaseEvents(new Prng(seed + 4), people.slice(0, members), products, opts.purchases ?? 2000)),
  };
}

/** Writes the four files into outDir (created if needed); returns their paths. */
/**
 * The files carry a fixed modification time, as files copied in long ago would: the same bytes
 * and times on every machine, and no dataflow's minFileAge holds them back on the first run.
 */
export const SAMPLE_MTIME = new Date('2024-01-01T00:00:00Z');

export async function generateSamples(outDir: string, opts: SampleOptions = {}): Promise<string[]> {
  await fsp.mkdir(outDir, { recursive: true });
  const samples = buildSamples(opts);
  const written: string[] = [];
  for (const name of SAMPLE_FILES) {
    const file = nodePath.join(outDir, name);
    await fsp.writeFile(file, samples[name], 'utf8');
    await fsp.utimes(file, SAMPLE_MTIME, SAMPLE_MTIME);
    written.push(file);
  }
  return written;
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: generate-samples [--if-missing] [OUT_DIR]   (default: config/samples)\n');
    return;
  }
  const outDir = nodePath.resolve(argv.find((a) => !a.startsWith('--')) ?? 'config/samples');
  // The demo seeds its inbox on first start only: an inbox that exists is the user's.
  if (argv.includes('--if-missing') && existsSync(outDir)) return;
  for (const file of await generateSamples(outDir)) process.stdout.write(`${file}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`generate-samples: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
