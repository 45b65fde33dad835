// Golden-file tests: testdata/<case>/{Dockerfile,result} and
// testdata/negative/<case>/{Dockerfile,error} ("line:column message").
// UPDATE_GOLDEN=1 rewrites the result files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDockerfile, dump } from './parser.js';
import { DockerfileError } from './node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// tests run from dist/; the fixtures stay in the source tree
const testdata = [path.join(here, 'testdata'), path.resolve(here, '../../../../src/build/parser/testdata')].find((d) => existsSync(d))!;

for (const c of readdirSync(testdata).filter((c) => c !== 'negative')) {
  test(`parse ${c}`, () => {
    const src = readFileSync(path.join(testdata, c, 'Dockerfile'), 'utf8');
    const got = dump(parseDockerfile(src).nodes);
    const file = path.join(testdata, c, 'result');
    if (process.env['UPDATE_GOLDEN']) writeFileSync(file, got);
    assert.equal(got, readFileSync(file, 'utf8'));
  });
}

for (const c of readdirSync(path.join(testdata, 'negative'))) {
  test(`reject ${c}`, () => {
    const dir = path.join(testdata, 'negative', c);
    const want = readFileSync(path.join(dir, 'error'), 'utf8').trim();
    const src = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    assert.throws(
      () => parseDockerfile(src),
      (err: unknown) => {
        assert.ok(err instanceof DockerfileError, String(err));
        assert.equal(`${err.line}:${err.column} ${err.detail}`, want);
        assert.equal(err.message, `Dockerfile:${err.line}: ${err.detail}`);
        return true;
      },
    );
  });
}
