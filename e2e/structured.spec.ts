/**
 * JSON mode and JSON Schema in the built app: xgrammar runs inside the module
 * Web Worker that Vite builds, from its embedded WebAssembly, with nothing
 * fetched from another origin.
 */
import Ajv from 'ajv';
import { expect, test } from '@playwright/test';
import { INSTRUCT, errorFrom, isStartupHubLookup, loadModel, openApp } from './helpers.ts';

const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 12 },
    count: { type: 'integer', minimum: 0, maximum: 9 },
    kind: { enum: ['a', 'b'] },
    tags: { type: 'array', items: { type: 'boolean' }, maxItems: 2 },
  },
  required: ['name', 'count', 'kind'],
  additionalProperties: false,
};

test('json_object and json_schema answers parse and validate, with every request same-origin', async ({ page }) => {
  const origins = new Set<string>();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!isStartupHubLookup(url)) origins.add(url.origin);
  });
  await openApp(page);
  await loadModel(page, 'wasm', 'q4');

  const contents = await page.evaluate(
    async ({ model, schema }) => {
      const ask = async (responseFormat: unknown) => {
        const completion = await window.deepseek.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Describe a thing as JSON.' }],
          response_format: responseFormat as never,
          seed: 3,
          temperature: 1,
          max_tokens: 60,
        });
        return { content: completion.choices[0].message.content, finish: completion.choices[0].finish_reason };
      };
      return {
        object: await ask({ type: 'json_object' }),
        schema: await ask({ type: 'json_schema', json_schema: { name: 'thing', schema } }),
      };
    },
    { model: INSTRUCT, schema: SCHEMA },
  );

  expect(contents.object.finish).toBe('stop');
  expect(typeof JSON.parse(contents.object.content ?? '')).toBe('object');
  expect(contents.schema.finish).toBe('stop');
  const validate = new Ajv().compile(SCHEMA);
  expect(validate(JSON.parse(contents.schema.content ?? '')), contents.schema.content ?? '').toBe(true);
  expect([...origins]).toEqual([new URL(page.url()).origin]);
});

test('a schema the grammar cannot honour is a 400 naming it', async ({ page }) => {
  await openApp(page);
  await loadModel(page, 'wasm', 'q4');
  const failure = await errorFrom(page, {
    model: INSTRUCT,
    messages: [{ role: 'user', content: 'hi' }],
    response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { type: 'string', format: 'email' } } },
  });
  expect(failure?.status).toBe(400);
  expect(failure?.error.param).toBe('response_format.json_schema.schema');
  expect(failure?.error.message).toMatch(/'format' is not supported/);
});
