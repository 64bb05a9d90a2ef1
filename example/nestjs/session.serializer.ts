import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import type { SignedInUser } from '../framework-example.js';

/** The whole (small) user goes into the session; a real app would store an account id. */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  serializeUser(user: SignedInUser, done: (err: Error | null, user: SignedInUser) => void): void {
    done(null, user);
  }

  deserializeUser(user: SignedInUser, done: (err: Error | null, user: SignedInUser) => void): void {
    done(null, user);
  }
}
