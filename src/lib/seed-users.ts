/** Cruddur's seed users: the PostgreSQL seed and the local Cognito pool create the same three people. */
export interface SeedUser {
  displayName: string
  handle: string
  email: string
}

export const SEED_USERS: readonly SeedUser[] = [
  {displayName: 'Andrew Brown', email: 'andrew@exampro.co', handle: 'andrewbrown'},
  {displayName: 'Andrew Bayko', email: 'bayko@exampro.co', handle: 'bayko'},
  {displayName: 'Londo Mollari', email: 'lmollari@centari.com', handle: 'londo'},
]
