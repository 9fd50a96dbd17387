// What the participant page knows between renders.

/** `me`: the latest /api/me answer; `pickedRecipient`: the colleague chosen in the ask form. */
export const page = { me: null, pickedRecipient: '' };
