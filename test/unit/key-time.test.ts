import {expect} from 'chai'
import {DateTime} from 'luxon'

import {CruddurError} from '../../src/lib/errors.js'

import {
  canonicalKeyTime,
  compareKeys,
  formatKeyTime,
  keyMicros,
  nextKeyTime,
  nowMicros,
  parseKeyTime,
} from '../../src/lib/dynamodb/key-time.js'

/** Python's `%Y-%m-%dT%H:%M:%S.%f%z`, as the course's scripts parse a key. */
const STRPTIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:?\d{2}$/

describe('sort-key times', () => {
  it('reads every form the app and earlier CLI versions wrote, by its instant', () => {
    const utc = parseKeyTime('2026-11-29T11:52:35.970508+00:00')!
    expect(utc.canonical).to.equal(true)
    expect(parseKeyTime('2026-11-29T06:52:35.970508-05:00')!.micros).to.equal(utc.micros)
    expect(parseKeyTime('2026-11-29T11:52:35.970508')!.micros).to.equal(utc.micros)
    expect(parseKeyTime('2026-11-29T11:52:35.970508Z')!.micros).to.equal(utc.micros)
    const old = parseKeyTime('2026-11-29T11:52:35.970Z#0b8e4a52-1f7d-4c8e-9d3f-6a1e2b3c4d5e')!
    expect(old.micros).to.equal(utc.micros - 508n)
    expect(old.suffix).to.equal('0b8e4a52-1f7d-4c8e-9d3f-6a1e2b3c4d5e')
    expect(parseKeyTime('2026-11-29T11:52:35+00:00')!.micros).to.equal(utc.micros - 970_508n)
    expect(parseKeyTime('CONV')).to.equal(undefined)
  })

  it('writes the canonical form, which Luxon and strptime both parse', () => {
    const key = formatKeyTime(nowMicros())
    expect(key).to.match(STRPTIME)
    expect(DateTime.fromISO(key).isValid).to.equal(true)
    expect(canonicalKeyTime('2026-11-29T06:52:35.970508-05:00')).to.equal('2026-11-29T11:52:35.970508+00:00')
    expect(nextKeyTime('2026-11-29T11:52:35.999999+00:00')).to.equal('2026-11-29T11:52:36.000000+00:00')
  })

  it('orders keys of different forms by instant, not by text', () => {
    const offset = '2026-11-29T06:52:35.970508-05:00' // 11:52:35 UTC
    const earlier = '2026-11-29T11:52:00.000000+00:00'
    expect(offset < earlier).to.equal(true)
    expect(compareKeys(offset, earlier)).to.equal(1)
    expect(compareKeys(earlier, offset)).to.equal(-1)
    expect(compareKeys(earlier, earlier)).to.equal(0)
  })

  it('a key that must hold a time and does not is an error with a code, naming the key and no command', () => {
    const error = (() => {
      try {
        keyMicros('hello')
      } catch (error) {
        return error
      }
    })()
    expect(error).to.be.instanceOf(CruddurError).and.include({code: 'FAILED', exitCode: 1})
    expect((error as CruddurError).message)
      .to.include('"hello"')
      .and.not.include('cruddur')
    expect((error as CruddurError).hint).to.deep.equal({step: 'check-table'})
  })
})
