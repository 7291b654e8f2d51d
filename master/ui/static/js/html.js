// Preact with htm: components are plain functions returning html`...`
// (tagged templates, no JSX and so no build step). Every module imports
// what it needs from here.
import { h, render, Fragment } from "preact";
import { useState, useEffect, useRef, useMemo, useCallback } from "preact/hooks";
import htm from "htm";

export const html = htm.bind(h);
export { render, Fragment, useState, useEffect, useRef, useMemo, useCallback };
