// Container names as docker has them: [a-zA-Z0-9][a-zA-Z0-9_.-]+, or a
// generated adjective_surname (berth's own word lists).
import { randomInt } from 'node:crypto';
import { invalidArgument } from '../../common/errors.js';

const ADJECTIVES = [
  'agile', 'amazing', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'crisp', 'daring', 'eager', 'elegant',
  'fancy', 'fearless', 'festive', 'gentle', 'happy', 'hardy', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lively',
  'loyal', 'lucid', 'merry', 'mighty', 'modest', 'nimble', 'noble', 'patient', 'plucky', 'polite', 'proud', 'quick',
  'quiet', 'rapid', 'serene', 'sharp', 'shiny', 'smart', 'steady', 'sunny', 'swift', 'tender', 'tidy', 'upbeat',
  'vivid', 'warm', 'wise', 'witty', 'zealous', 'zen',
];
const SURNAMES = [
  'agnesi', 'archimedes', 'babbage', 'bardeen', 'bohr', 'boole', 'curie', 'darwin', 'dijkstra', 'einstein', 'euclid',
  'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goodall', 'hamilton', 'hawking',
  'hertz', 'hopper', 'hypatia', 'johnson', 'kepler', 'knuth', 'lamarr', 'leakey', 'lovelace', 'maxwell', 'meitner',
  'mendel', 'newton', 'noether', 'pascal', 'pasteur', 'planck', 'ramanujan', 'ritchie', 'shannon', 'tesla', 'thompson',
  'torvalds', 'turing', 'volta', 'wozniak', 'yalow',
];

export function generateName(retry = 0): string {
  const n = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return retry > 0 ? `${n}${randomInt(10)}` : n;
}

/** "/web" or "web" → "web"; invalid names are refused with docker's message. */
export function validateName(name: string): string {
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(n)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return n;
}
