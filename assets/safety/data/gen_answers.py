# Ordinary answers to a persona's follow-up, and age statements, written for the project.
import json, random
rng = random.Random(20261206)
en = [
 "oh, thanks for thinking of me", "thanks for checking in!", "hey, nice of you to write", "hi! yes I'm still here",
 "still around, just busy", "I'm here, sorry, crazy week", "yes! I watched it, loved it", "sure", "sure thing", "yep",
 "yeah why not", "sounds good", "good idea, I'll try", "ha, you remembered", "aw that's sweet of you",
 "not now, maybe later", "I'll get back to you", "thanks, talk soon", "all good here", "doing fine, thanks",
 "been busy with work", "just got home", "back from holidays", "I was away for a bit", "hello again",
 "nice to hear from you", "thanks for the reminder", "oh right, I forgot about that", "I'll check it out tonight",
 "tonight I'm free actually", "finally some time for me this evening", "quiet evening at home for once",
 "time to myself at last", "long day but fine", "I'm tired but ok", "more later, gotta run", "good morning!",
 "good night", "see you", "bye for now", "thanks, you too", "cool", "great", "ok cool", "perfect, thanks",
 "sorry for the silence", "I'm still alive haha, just busy", "I've been swamped", "life got busy", "missed our chats",
]
fr = [
 "oh, merci d'avoir pensé à moi", "merci de prendre des nouvelles !", "coucou, sympa de m'écrire", "coucou ! oui je suis toujours là",
 "toujours là, juste débordée", "je suis là, désolé, semaine de fou", "oui ! je l'ai vu, j'ai adoré", "bien sûr", "carrément", "ouais",
 "pourquoi pas", "ça marche", "bonne idée, je vais essayer", "ha, tu t'en souviens", "c'est gentil",
 "pas maintenant, plus tard peut-être", "je te redis", "merci, à bientôt", "tout va bien ici", "ça va, merci",
 "beaucoup de boulot", "je viens de rentrer", "de retour de vacances", "j'étais partie quelques jours", "re bonjour",
 "contente d'avoir de tes nouvelles", "merci pour le rappel", "ah oui, j'avais oublié", "je regarde ça ce soir",
 "ce soir je suis libre en fait", "enfin un peu de temps pour moi ce soir", "soirée tranquille à la maison pour une fois",
 "enfin du temps pour moi", "longue journée mais ça va", "fatiguée mais ça va", "je file, à plus", "bonjour !",
 "bonne nuit", "à plus", "salut", "merci, toi aussi", "cool", "super", "ok cool", "parfait, merci",
 "désolée pour le silence", "toujours vivant mdr, juste débordé", "j'ai été sous l'eau", "la vie a repris le dessus", "nos discussions m'ont manqué",
]
age_en = ["I'm {a}", "i am {a}", "I'm {a} btw", "by the way I'm {a} years old", "I'm {a} years old", "im {a} lol",
          "just turned {a}", "I'm {a} and I love films", "my age? {a}", "{a} years old here"]
age_fr = ["j'ai {a} ans", "j'ai {a} ans au fait", "au fait j'ai {a} ans", "moi j'ai {a} ans", "jai {a} ans",
          "je viens d'avoir {a} ans", "j'ai {a} ans et j'adore le cinéma", "mon âge ? {a} ans", "{a} ans", "j'ai {a} ans mdr"]
def variants(t):
    out = {t}
    out.add(t.capitalize())
    if not t.endswith(("!", "?", ".")): out.add(t + "!"); out.add(t.capitalize() + ".")
    return sorted(out)
rows = []
for lang, lines in (("en", en), ("fr", fr)):
    for t in lines:
        for v in variants(t):
            rows.append({"text": v, "label": "ok", "lang": lang, "kind": "chat"})
for lang, tpl in (("en", age_en), ("fr", age_fr)):
    for t in tpl:
        for a in rng.sample(range(10, 71), 6):
            rows.append({"text": t.format(a=a), "label": "ok", "lang": lang, "kind": "chat"})
seen = set(); out = []
for r in rows:
    k = r["text"].lower()
    if k in seen: continue
    seen.add(k); out.append(r)
with open("/work/main/assets/safety/data/train-answers.jsonl", "w") as f:
    for r in out: f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(out))
