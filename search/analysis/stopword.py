"""Stop words, written in the form the stop check sees (see ``analysis.chain``)."""
from __future__ import annotations

ENGLISH = frozenset("""
a an and are as at be been but by for from had has have he her his i if in into is it its
itself me my no nor not of on or our ours she so such than that the their theirs them then
there these they this those to too us was we were which while who whom why will with would
you your yours do does did doing am being having what when where how all any both each few
more most other some own same just can could should shall may might must also only very s t
""".split())

# Arabic function words. Keys have diacritics and tatweel removed and alef forms unified
# (أ إ آ → ا) but keep ى and ة, so the preposition على is a stop word while the name علي is not.
ARABIC = frozenset("""
في من الى على عن مع ان او ثم حتى لا ما لم لن قد كان كانت يكون تكون كل بعض غير بين عند
هذا هذه ذلك تلك هؤلاء اولئك هنا هناك الذي التي الذين اللذين اللتين اللواتي اللاتي هو هي هم
هما هن انا نحن انت انتم انتن اي ايضا لكن لكنه انه انها انهم اذا اذ لو لولا كما مثل منذ
ضمن خلال حيث حين بل ام سوف عليه عليها عليهم فيه فيها فيهم منه منها منهم عنه عنها اليه اليها
لدى لدي له لها لهم به بها بهم وفي ومن وعلى والى وعن ومع وان او ولا وما ولم ولن وقد وكان
وكانت وهو وهي وهم وهذا وهذه وذلك وتلك والتي والذي والذين فان فقد فلا فما ولكن وكل
ليس ليست عدة حول نحو لدى ذات ذو غيرها كذلك هل متى اين كيف لماذا ماذا كم
اى الا فما بان التى الذى الي اما وكل ولم ولن هى وهى فهى فهي فهو لك بينما الان بعد قبل
عندما جميع
تم يتم قام قامت يقوم تقوم يمكن يمكنه
""".split())

RUSSIAN = frozenset("""
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее
мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был
него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней
для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того
потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем
всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего
них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя
такой им более всегда конечно всю между это
сколько скольких каков какова каково каковы какое какие какого какому каким какую каком
какими каких которая которое которые который которого которой которому которым которую
котором которыми которых кого кем кому чему чей чья чье чьи почему откуда
является являются являлся являлась являлось являлись
""".split())

# Words that only frame a question after an interrogative ("how many", "كم عدد"): dropped from
# natural-language questions, kept in documents and in ordinary queries.
QUESTION_FRAMES = {
    "how": frozenset("many much long often far old".split()),
    "كم": frozenset(["عدد"]),
}
